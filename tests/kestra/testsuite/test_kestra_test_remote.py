"""`walab kestra-test --kestra URL`: suites saved and run on a Kestra Enterprise through its /tests
API, here a loopback stand-in answering the shapes kestra-ee.yml documents, with basic auth."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from kestra_ee_tests_standin import KestraEeTests  # noqa: E402
from loopback import LoopbackServer  # noqa: E402

from lab.cli import main  # noqa: E402

FLOW = textwrap.dedent("""\
    id: greet
    namespace: company.team
    tasks:
      - id: hello
        type: io.kestra.plugin.core.debug.Return
        format: Hello
""")

SUITE = textwrap.dedent("""\
    id: greet_tests
    namespace: company.team
    flowId: greet
    testCases:
      - id: says_hello
        type: io.kestra.core.tests.flow.UnitTest
        assertions:
          - value: "{{ outputs.hello.value }}"
            equalTo: Hello
      - id: fail_on_purpose
        type: io.kestra.core.tests.flow.UnitTest
        assertions:
          - value: "{{ outputs.hello.value }}"
            equalTo: Bye
""")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "greet.yml").write_text(FLOW)
    (tmp_path / "suites" / "greet_tests.yml").write_text(SUITE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KESTRA_USER", "admin@kestra.io")
    monkeypatch.setenv("KESTRA_PASSWORD", "Admin1234")
    return tmp_path


def test_suites_are_created_then_run_on_kestra_with_basic_auth(project: Path, capsys) -> None:
    kestra = KestraEeTests("admin@kestra.io", "Admin1234")
    with LoopbackServer(kestra) as server:
        code = main(["kestra-test", "suites", "--kestra", server.url, "--json"])
    assert code == 1  # fail_on_purpose fails on Kestra
    methods = [(m, p, t.split(";")[0]) for m, p, t, _ in kestra.requests]
    assert methods == [
        ("POST", "/api/v1/main/flows", "application/x-yaml"),
        ("PUT", "/api/v1/main/tests/company.team/greet_tests", "application/x-yaml"),
        ("POST", "/api/v1/main/tests", "application/x-yaml"),
        ("POST", "/api/v1/main/tests/company.team/greet_tests/run", "application/json"),
    ]
    assert kestra.requests[2][3].decode() == SUITE  # the suite's YAML as written
    assert kestra.flows[("company.team", "greet")] == FLOW
    (result,) = json.loads(capsys.readouterr().out)
    assert result["testSuiteId"] == "greet_tests" and result["state"] == "FAILED"
    assert [(r["testId"], r["state"]) for r in result["results"]] == [
        ("says_hello", "SUCCESS"),
        ("fail_on_purpose", "FAILED"),
    ]


def test_a_suite_kestra_holds_is_updated_and_cases_are_chosen(project: Path, capsys) -> None:
    kestra = KestraEeTests("admin@kestra.io", "Admin1234")
    with LoopbackServer(kestra) as server:
        assert main(["kestra-test", "suites", "--kestra", server.url]) == 1
        kestra.requests.clear()
        code = main(["kestra-test", "suites", "--kestra", server.url, "--case", "says_hello"])
    assert code == 0
    assert [(m, p) for m, p, _, _ in kestra.requests][1:] == [
        ("PUT", "/api/v1/main/tests/company.team/greet_tests"),
        ("POST", "/api/v1/main/tests/company.team/greet_tests/run"),
    ]
    assert json.loads(kestra.requests[-1][3]) == {"testCases": ["says_hello"]}
    out = capsys.readouterr().out
    assert "✓ says_hello SUCCESS  execution exec_says_hello" in out
    assert (
        "EQUAL_TO: expected '{{ outputs.hello.value }}' to equal 'Bye' but was 'Hello'" in out
    )  # the first run's failure


def test_wrong_credentials_are_said(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("KESTRA_PASSWORD", "wrong")
    kestra = KestraEeTests("admin@kestra.io", "Admin1234")
    with LoopbackServer(kestra) as server:
        code = main(["kestra-test", "suites", "--kestra", server.url])
    assert code != 0
    err = capsys.readouterr().err
    assert "401" in err or "credentials" in err.lower() or "unauthorized" in err.lower()
    assert "wrong" not in err  # the password is never printed
