"""`walab validate --format text|json|github`: the same findings, for people, programs and PRs."""

from __future__ import annotations

import json

from lab.cli import main

FLOW = """id: f
namespace: company.team
tasks:
  - id: q
    type: io.kestra.plugin.jdbc.postgresql.Query
    url: jdbc:postgresql://db/x
    sql: select 1
  - id: bad
    type: io.kestra.plugin.core.log.Logg
    message: "a, b: c"
"""


def test_json_lists_every_finding_with_its_severity(tmp_path, capsys):
    (tmp_path / "f.yml").write_text(FLOW)
    assert main(["validate", str(tmp_path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["checked"] == 1 and report["invalid"] == 1
    assert [(f["line"], f["severity"], f["kind"]) for f in report["findings"]] == [
        (5, "warning", "needs a fixture"),
        (9, "error", "unknown type"),
    ]


def test_github_annotations_escape_what_github_reads(tmp_path, capsys):
    path = tmp_path / "f.yml"
    path.write_text(FLOW)
    assert main(["validate", str(path), "--format", "github", "-q"]) == 1
    warning, error = capsys.readouterr().out.splitlines()
    assert warning.startswith(f"::warning file={path},line=5,title=walab needs a fixture::task `q`")
    assert error.startswith(f"::error file={path},line=9,title=walab unknown type::task `bad`")
    assert "%0Ahint: " in error


def test_warnings_alone_exit_0(tmp_path, capsys):
    (tmp_path / "f.yml").write_text(FLOW.split("  - id: bad")[0])
    assert main(["validate", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "[needs a fixture]" in captured.out and "all valid" in captured.err
