"""Which files of a project's folders are Kestra YAML (flows, test suites): every *.yml / *.yaml
below them, except the namespace files under a `files/` folder (`walab deploy` uploads those)."""

from __future__ import annotations

from pathlib import Path

from lab.errors import ConfigError

YAML_SUFFIXES = (".yml", ".yaml")
NAMESPACE_FILES = "files"  # flows/files/** are namespace files, not flows


def yaml_files(paths: list[str] | list[Path], *, fix: str) -> list[Path]:
    """The YAML files the given files and folders name, each folder's sorted; a ConfigError with
    `fix` for a path that is neither a file nor a folder."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in YAML_SUFFIXES
                and p.is_file()
                and NAMESPACE_FILES not in p.relative_to(path).parts[:-1]
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigError(f"no such file or folder: {raw}", fix=fix)
    return found
