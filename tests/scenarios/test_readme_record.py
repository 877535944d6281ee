"""The README's record → replay → test sequence works on a new recording: it writes the first snapshot."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_record_sequence_writes_the_first_snapshot_before_testing_everything():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("./walab record plans") :]
    block = block[: block.index("```")]
    commands = [line.split("#")[0].split() for line in block.splitlines() if line.strip()]
    first_update = next(i for i, c in enumerate(commands) if "--snapshot-update" in c)
    first_whole_test = next(
        i
        for i, c in enumerate(commands)
        if c[:3] == ["./walab", "test", "scenarios/"] and "--snapshot-update" not in c
    )
    assert (
        commands[first_update][2] == "scenarios/whatsapp_agent/plans.yaml"
    )  # the new recording's own snapshot
    assert first_update < first_whole_test
    assert re.search(r"new recording has no snapshot yet", readme)
