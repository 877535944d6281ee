"""`walab kestra-test`: Kestra's TestSuite YAML on the embedded engine, results as Kestra's
TestSuiteRunResult, failing assertions worded as Kestra words them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lab.cli import main

FLOW = textwrap.dedent("""\
    id: greet
    namespace: company.team
    inputs:
      - id: name
        type: STRING
        defaults: World
    tasks:
      - id: lookup
        type: io.kestra.plugin.jdbc.postgresql.Query
        url: jdbc:postgresql://db/x
        sql: select 1
        fetchType: FETCH_ONE
      - id: hello
        type: io.kestra.plugin.core.debug.Return
        format: "Hello {{ inputs.name }} ({{ outputs.lookup.row.plan }})"
""")

SUITE = textwrap.dedent("""\
    id: greet_tests
    namespace: company.team
    flowId: greet
    testCases:
      - id: greets_with_the_plan
        type: io.kestra.core.tests.flow.UnitTest
        fixtures:
          inputs: {name: Ana}
          tasks:
            - id: lookup
              outputs: {row: {plan: Premium}, size: 1}
        assertions:
          - value: "{{ outputs.hello.value }}"
            equalTo: Hello Ana (Premium)
          - value: "{{ outputs.lookup.size }}"
            greaterThanOrEqualTo: 1
          - value: "{{ outputs.hello.value }}"
            contains: Ana
      - id: wrong_expectation
        type: io.kestra.core.tests.flow.UnitTest
        fixtures:
          tasks:
            - id: lookup
              outputs: {row: {plan: Basic}}
        assertions:
          - value: "{{ outputs.hello.value }}"
            equalTo: Hello World (Premium)
          - value: "{{ outputs.hello.value }}"
            startsWith: Bye
            errorMessage: the greeting must say bye
      - id: undefined_output
        type: io.kestra.core.tests.flow.UnitTest
        fixtures:
          tasks: [{id: lookup, outputs: {row: {plan: X}}}]
        assertions:
          - value: "{{ outputs.nope.value }}"
            isNotNull: true
      - id: skipped
        type: io.kestra.core.tests.flow.UnitTest
        disabled: true
        assertions: []
""")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "greet.yml").write_text(FLOW)
    (tmp_path / "suites" / "greet_tests.yaml").write_text(SUITE)
    return tmp_path


def test_json_is_kestras_test_suite_run_result(project, capsys):
    assert (
        main(["kestra-test", str(project / "suites"), "--json", "--flows", str(project / "none")])
        == 1
    )
    [result] = json.loads(capsys.readouterr().out)
    assert set(result) == {
        "id",
        "testSuiteId",
        "namespace",
        "flowId",
        "state",
        "startDate",
        "endDate",
        "results",
    }
    assert (result["testSuiteId"], result["flowId"], result["state"]) == (
        "greet_tests",
        "greet",
        "ERROR",
    )
    ok, wrong, undefined, skipped = result["results"]
    assert set(ok) == {
        "testId",
        "testType",
        "executionId",
        "url",
        "state",
        "assertionResults",
        "errors",
        "fixtures",
    }
    assert ok["state"] == "SUCCESS" and ok["testType"] == "io.kestra.core.tests.flow.UnitTest"
    assert [a["operator"] for a in ok["assertionResults"]] == [
        "equalTo",
        "greaterThanOrEqualTo",
        "contains",
    ]
    assert ok["assertionResults"][1]["expected"] == 1.0
    assert wrong["state"] == "FAILED"
    equal, starts = wrong["assertionResults"]
    assert equal["errorMessage"] == (
        "expected '{{ outputs.hello.value }}' to equal 'Hello World (Premium)' but was "
        "'Hello World (Basic)'"
    )
    assert starts["errorMessage"] == "the greeting must say bye" and starts["isSuccess"] is False
    assert undefined["state"] == "ERROR" and undefined["assertionResults"] == []
    [error] = undefined["errors"]
    assert error["message"].startswith(
        'Could not evaluate assertion: `{"value":"{{ outputs.nope.value }}"'
    )
    assert error["details"].startswith("error was: ")
    assert skipped["state"] == "SKIPPED" and skipped["executionId"] is None


def test_text_report_and_exit_status(project, capsys):
    assert (
        main(
            [
                "kestra-test",
                str(project / "suites"),
                "--flows",
                str(project / "none"),
                "--case",
                "greets_with_the_plan",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "✓ company.team.greet_tests (flow greet) SUCCESS" in out
        and "✓ greets_with_the_plan SUCCESS" in out
    )
    assert (
        main(
            [
                "kestra-test",
                str(project / "suites"),
                "--flows",
                str(project / "none"),
                "--case",
                "wrong_expectation",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "✗ wrong_expectation FAILED" in out and "startsWith: the greeting must say bye" in out


def test_expected_state_on_2_0(project, capsys):
    (project / "suites" / "greet_tests.yaml").write_text(
        SUITE.replace(
            "  - id: wrong_expectation", "    expectedState: FAILED\n  - id: wrong_expectation"
        )
    )
    assert (
        main(
            [
                "kestra-test",
                str(project / "suites"),
                "--json",
                "--flows",
                str(project / "none"),
                "--case",
                "greets_with_the_plan",
                "--kestra-version",
                "2.0",
            ]
        )
        == 1
    )
    [result] = json.loads(capsys.readouterr().out)
    last = result["results"][0]["assertionResults"][-1]
    assert last["operator"] == "expectedState" and last["errorMessage"] == (
        "expected the execution to end in FAILED but it ended in SUCCESS"
    )


def test_a_malformed_suite_is_a_usage_error_naming_its_line(project, capsys):
    (project / "suites" / "greet_tests.yaml").write_text(
        SUITE.replace("equalTo: Hello Ana", "equalsTo: Hello Ana")
    )
    assert main(["kestra-test", str(project / "suites")]) == 2
    err = capsys.readouterr().err
    assert "unknown assertion key `equalsTo`" in err and "greet_tests.yaml:14" in err


def test_the_bundled_flows_suites_pass(capsys):
    assert main(["kestra-test"]) == 0
    assert "3 test suite(s), 7 case(s): all passing" in capsys.readouterr().err


def test_a_case_that_no_suite_has_is_a_usage_error(project, capsys):
    """`--case` with a name no suite holds ran nothing and said "all passing" (exit 0)."""
    code = main(
        [
            "kestra-test",
            str(project / "suites"),
            "--flows",
            str(project / "none"),
            "--case",
            "replies_with_llm_text",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no test case 'replies_with_llm_text'" in err
    assert "greets_with_the_plan" in err  # the cases there are
