"""Kestra conformance: every flow run of flows/expectations.yaml on the embedded engine.

Runs asserted by both Kestra trees and the 1.3-only runs use the 1.3 dialect; 2.0-only runs use the
2.0 dialect. A run the engine does not pass yet is listed in KNOWN_GAPS with the reason (strict xfail:
fixing it turns the test red until the entry is removed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conformance_matchers import problems
from engine_adapter import run_flow

FLOWS = Path(__file__).parent / "flows"
RUNS = yaml.safe_load((FLOWS / "expectations.yaml").read_text(encoding="utf-8"))["runs"]
# Cases this project added from Kestra's own tests where the shared set is thin.
EXTRA = Path(__file__).parent / "flows_extra"
EXTRA_RUNS = yaml.safe_load((EXTRA / "expectations.yaml").read_text(encoding="utf-8"))["runs"]

KNOWN_GAPS: dict[str, str] = {}  # every run passes; a gap would be listed here with its reason


def _version(run: dict) -> str:
    versions = run.get("versions") or ["1.3", "2.0"]
    return "1.3" if "1.3" in versions else versions[0]


def _param(run: dict):
    marks = []
    if run["id"] in KNOWN_GAPS:
        marks.append(pytest.mark.xfail(reason=KNOWN_GAPS[run["id"]], strict=True))
    return pytest.param(run, id=run["id"], marks=marks)


def test_the_set_is_complete():
    assert len(RUNS) == 93
    assert set(KNOWN_GAPS) <= {r["id"] for r in RUNS}


@pytest.mark.parametrize("run", [_param(r) for r in RUNS])
async def test_flow_run(run: dict) -> None:
    source = (FLOWS / run["flow"]).read_text(encoding="utf-8")
    execution = await run_flow(source, run, FLOWS, _version(run))
    found = problems(execution, run["expect"], {"execution.id": execution.get("id")})
    assert not found, "\n".join(found) + f"\n[{run['source']}]"


@pytest.mark.parametrize("run", [pytest.param(r, id=r["id"]) for r in EXTRA_RUNS])
async def test_extra_flow_run(run: dict) -> None:
    source = (EXTRA / run["flow"]).read_text(encoding="utf-8")
    execution = await run_flow(source, run, EXTRA, _version(run))
    found = problems(execution, run["expect"], {"execution.id": execution.get("id")})
    assert not found, "\n".join(found) + f"\n[{run['source']}]"
