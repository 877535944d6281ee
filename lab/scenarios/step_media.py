"""Media files a recorded step sends, kept with the scenario.

A file from outside the project (`/image ~/Downloads/conta.jpg`) would be written by absolute path,
and the scenario would replay on no other machine. The recorder copies such a file next to the
scenario file (`<scenario>.<file name>`) and names the copy in the step, relative to the project as
every other media path is.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

MEDIA_STEPS = ("media", "voice")  # the steps that send a file by `path`


def keep_beside(step: dict[str, Any], scenario: Path, project_dir: Path | None) -> dict[str, Any]:
    """`step` with a media file from outside the project copied next to `scenario` and named by
    the copy (relative to `project_dir` when the scenario is inside it); other steps as they are."""
    for key in MEDIA_STEPS:
        sent = step.get(key)
        if not isinstance(sent, dict) or not Path(str(sent.get("path", ""))).is_absolute():
            continue
        source = Path(sent["path"])
        if not source.is_file():  # gone since it was sent: the step names it as it was
            continue
        copy = scenario.with_name(f"{scenario.stem}.{source.name}")
        if not copy.exists() or copy.read_bytes() != source.read_bytes():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
        step = {**step, key: {**sent, "path": _named(copy, project_dir)}}
    return step


def _named(path: Path, project_dir: Path | None) -> str:
    resolved = path.resolve()
    if project_dir is not None and resolved.is_relative_to(Path(project_dir).resolve()):
        return resolved.relative_to(Path(project_dir).resolve()).as_posix()
    return str(resolved)
