"""walab's pytest plugin: collects scenarios/**/*.yaml as tests. Cheap to import; never imports Textual.

Only hooks and fixtures live here (like syrupy's package `__init__`); collection and the test body
are in `lab.scenarios.items`, imported when a scenario file is actually collected.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.config import add_kestra_version_option

SCENARIO_SUFFIXES = (".yaml", ".yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("walab", "walab scenarios")
    group.addoption(
        "--walab-target",
        dest="walab_target",
        default=None,
        metavar="URL",
        help="play scenarios on a real Kestra at URL (default: the embedded engine)",
    )
    group.addoption(
        "--walab-llm",
        dest="walab_llm",
        default=None,
        choices=("replay", "scripted", "live", "record"),
        help="LLM mode for every scenario (default: each scenario's own source, cassettes replayed)",
    )
    add_kestra_version_option(group, "--walab-kestra-version")
    group.addoption(
        "--walab-min-coverage",
        dest="walab_min_coverage",
        type=float,
        default=None,
        metavar="N",
        help="fail the run when the project's flows are covered below N %% (tasks and branches)",
    )
    group.addoption(
        "--walab-coverage-json",
        dest="walab_coverage_json",
        default=None,
        metavar="PATH",
        help="write the flow coverage as JSON to PATH",
    )


def is_scenario_file(path: Path) -> bool:
    """A YAML file under a `scenarios` directory that is not a cassette, a snapshot or an import's
    drift report."""
    if path.suffix not in SCENARIO_SUFFIXES or path.name.startswith("."):
        return False
    parts = path.parts
    if "scenarios" not in parts or "__snapshots__" in parts:
        return False
    return not any(
        path.name.endswith(f".{kind}{s}")
        for s in SCENARIO_SUFFIXES
        for kind in ("cassette", "drift")
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    if is_scenario_file(file_path):
        # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
        from lab.conversation.fastimport import skip_httpx_cli

        # Playing a scenario imports httpx; its command line (click, rich: ~0.2 s) is never used here.
        skip_httpx_cli()
        # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
        from lab.scenarios.items import ScenarioFile

        return ScenarioFile.from_parent(parent, path=file_path)
    from lab.kestra.testsuite.items import (  # Kestra's flow unit tests
        KestraSuiteFile,
        is_suite_file,
    )

    if is_suite_file(file_path):
        return KestraSuiteFile.from_parent(parent, path=file_path)
    return None


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # A scenario that cannot be loaded has no items, so its snapshots would look unused and
    # `--snapshot-update` would delete them: keep every snapshot when collection failed.
    if report.failed and is_scenario_file(Path(str(report.fspath))):
        config = getattr(report, "config", None) or _CONFIG.get("config")
        if config is not None:
            config.option.disable_unused_snapshots = True


_CONFIG: dict[str, Any] = {}

# Cyclic GC during a scenario play. Start-up (pytest, httpx, the engine, tiktoken's tables, the
# flows and prompts loaded by the first case) leaves ~10^5 long-lived objects that every full
# collection walks again, and each turn allocates thousands of short-lived ones, so the default
# generation-0 threshold (700) collects ~570 times in a 50 × 10 replay. Freezing what start-up
# allocated and collecting young objects less often cuts the GC's share of the suite from ~0.6 s
# to ~0.1 s; cycles are still collected. Only sessions that collected scenario items are tuned,
# and the collector is restored when pytest unconfigures (pytester runs sessions in-process).
PLAY_GC_THRESHOLD = (10_000, 50, 100)


@dataclass(slots=True)
class _PlayGC:
    """The collector's state before walab tuned it for a scenario play."""

    threshold: tuple[int, int, int]
    first_case_pending: bool = True


_PLAY_GC = pytest.StashKey[_PlayGC]()


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG["config"] = config
    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.conversation.fastimport import skip_httpx_cli

    # The coverage plugin imports the engine, which imports httpx: trim httpx's command line
    # (click, rich: ~0.2 s, never used here) before that, not only when a scenario is collected.
    skip_httpx_cli()
    # Imported here, not at module level: a pytest run without walab's options and hooks in use
    # (any project that merely has walab installed) must not pay for the engine's import.
    from lab.kestra.coverage_pytest import (
        FlowCoveragePlugin,  # flow coverage of scenarios and unit tests
    )

    config.pluginmanager.register(FlowCoveragePlugin(config), "walab-flow-coverage")


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    items = sys.modules.get("lab.scenarios.items")
    if items is None or not any(isinstance(i, items.ScenarioItem) for i in session.items):
        return
    session.config.stash[_PLAY_GC] = _PlayGC(threshold=gc.get_threshold())
    gc.freeze()
    gc.set_threshold(*PLAY_GC_THRESHOLD)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    try:
        return (yield)
    finally:
        state = item.config.stash.get(_PLAY_GC, None)
        if state is not None and state.first_case_pending:
            # The first case imported the engine and loaded flows, prompts and the tokenizer: freeze those too.
            state.first_case_pending = False
            gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_PLAY_GC, None)
    if state is not None:
        del config.stash[_PLAY_GC]
        gc.set_threshold(*state.threshold)
        gc.unfreeze()


@pytest.fixture(scope="session")
def walab_player(request: pytest.FixtureRequest) -> Any:
    """Plays a scenario case and returns its Playback; override it in a conftest to swap the player."""
    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.scenarios.player import Player

    version = request.config.option.kestra_version
    player = Player(
        target_url=request.config.option.walab_target,
        llm_mode=request.config.option.walab_llm,
        settings_overrides={"kestra_version": version} if version else {},
    )
    return player.play_sync
