"""walab's pytest plugin: collects scenarios/**/*.yaml as tests. Cheap to import; never imports Textual.

Only hooks and fixtures live here (like syrupy's package `__init__`); collection and the test body
are in `lab.scenarios.items`, imported when a scenario file is actually collected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SCENARIO_SUFFIXES = (".yaml", ".yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("walab", "walab scenarios")
    group.addoption("--walab-target", dest="walab_target", default=None, metavar="URL",
                    help="play scenarios on a real Kestra at URL (default: the embedded engine)")
    group.addoption("--walab-llm", dest="walab_llm", default=None,
                    choices=("replay", "scripted", "live", "record"),
                    help="LLM mode for every scenario (default: each scenario's own source, cassettes replayed)")


def is_scenario_file(path: Path) -> bool:
    """A YAML file under a `scenarios` directory that is not a cassette or a snapshot."""
    if path.suffix not in SCENARIO_SUFFIXES or path.name.startswith("."):
        return False
    parts = path.parts
    if "scenarios" not in parts or "__snapshots__" in parts:
        return False
    return not any(path.name.endswith(f".cassette{s}") for s in SCENARIO_SUFFIXES)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    if is_scenario_file(file_path):
        from lab.conversation.fastimport import skip_httpx_cli

        # Playing a scenario imports httpx; its command line (click, rich: ~0.2 s) is never used here.
        skip_httpx_cli()
        from lab.scenarios.items import ScenarioFile

        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # A scenario that cannot be loaded has no items, so its snapshots would look unused and
    # `--snapshot-update` would delete them: keep every snapshot when collection failed.
    if report.failed and is_scenario_file(Path(str(report.fspath))):
        config = getattr(report, "config", None) or _CONFIG.get("config")
        if config is not None:
            config.option.disable_unused_snapshots = True


_CONFIG: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG["config"] = config


@pytest.fixture(scope="session")
def walab_player(request: pytest.FixtureRequest) -> Any:
    """Plays a scenario case and returns its Playback; override it in a conftest to swap the player."""
    from lab.scenarios.player import Player

    player = Player(target_url=request.config.option.walab_target, llm_mode=request.config.option.walab_llm)
    return player.play_sync
