"""Flow coverage in `walab test`: recorded in every process (xdist workers send theirs to the
controller), printed as a table after the run, written as JSON with `--walab-coverage-json PATH`,
and `--walab-min-coverage N` fails the run when the project's flows are covered below N %."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lab.kestra import coverage

WORKER_KEY = "walab_flow_coverage"


class FlowCoveragePlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.recorder = coverage.start()
        self.below: str | None = None

    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist controller
        data = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        if data:
            self.recorder.merge(data)

    def project(self) -> coverage.Recorder:
        return self.recorder.only(Path(str(self.config.rootpath)) / "flows")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller reports
            workeroutput[WORKER_KEY] = self.recorder.export()
            return
        project = self.project()
        path = self.config.getoption("walab_coverage_json")
        if path:
            Path(path).write_text(
                json.dumps(
                    {
                        "percent": round(project.total_percent(), 1),
                        "flows": [c.to_json() for c in project.flows.values()],
                    },
                    indent=2,
                ),
                encoding="utf-8",
            )
        minimum = self.config.getoption("walab_min_coverage")
        if minimum is not None and project.flows and project.total_percent() < minimum:
            self.below = f"flow coverage {project.total_percent():.1f}% is below --walab-min-coverage {minimum:g}%"
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if getattr(self.config, "workeroutput", None) is not None:
            return
        project = self.project()
        if not project.flows:
            return
        terminalreporter.write_sep(
            "-", "walab flow coverage (tasks and branches that ran at least once)"
        )
        terminalreporter.write_line(project.table())
        if self.below:
            terminalreporter.write_line(self.below, red=True)
