"""`walab deploy --dry-run` lists KV values as the JSON Kestra stores (QA P3-22)."""

from __future__ import annotations

import json

from .test_cli import walab


def test_dry_run_prints_kv_values_as_json():
    done = walab("deploy", "--dry-run", "--lead-llm")
    assert done.returncode == 0, done.stderr
    kv = {
        line.split()[1]: " ".join(line.split()[2:])
        for line in done.stdout.splitlines()
        if line.startswith("  kv ")
    }
    assert kv["LEAD_USE_LLM"] == "true" and kv["LLM_MODEL"] == '"gpt-4o-mini"'
    assert all(json.loads(v) is not None for v in kv.values())
    assert "True" not in done.stdout and "'http" not in done.stdout
