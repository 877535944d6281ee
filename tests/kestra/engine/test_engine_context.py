"""What a running task sees beyond expressions: namespace files for scripts, errorLogs() in errors."""

from __future__ import annotations

from engine_helpers import flow, outputs, run

from lab.kestra.engine import Engine

PROCESS = "{type: io.kestra.plugin.core.runner.Process}"


async def test_script_namespace_files_are_copied_into_the_working_directory_with_include_and_exclude():
    engine = Engine()
    engine.files.put("company.test", "prompts/system.md", b"be kind")
    engine.files.put("company.test", "prompts/draft.md", b"not this one")
    engine.files.put("company.test", "data/rows.csv", b"a,b")
    engine.files.put("other.ns", "prompts/leak.md", b"another namespace")
    source = flow(f"""
        tasks:
          - id: sh
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner: {PROCESS}
            namespaceFiles:
              enabled: true
              include: ["prompts/*", "data/*"]
              exclude: ["prompts/draft.md"]
            commands:
              - echo "::{{\\"outputs\\":{{\\"files\\":\\"$(find . -type f -not -path './.kestra*' | sort | tr '\\n' ' ')\\",\\"system\\":\\"$(cat prompts/system.md)\\"}}}}::"
    """)
    x = await run(engine, source)
    assert x.state.current == "SUCCESS", [e.message for e in engine.logs(x.id)]
    assert outputs(x, "sh")["vars"] == {
        "files": "./data/rows.csv ./prompts/system.md ",
        "system": "be kind",
    }
    await engine.aclose()


async def test_error_logs_in_an_errors_branch_returns_the_execution_error_lines_as_log_entries():
    engine = Engine()
    source = flow("""
        tasks:
          - id: fine
            type: io.kestra.plugin.core.log.Log
            message: all good so far
          - id: boom
            type: io.kestra.plugin.core.execution.Fail
            errorMessage: the order service is down
        errors:
          - id: report
            type: io.kestra.plugin.core.debug.Return
            format: "{{ errorLogs() | length }}|{{ errorLogs()[0].taskId }}|{{ errorLogs()[0]['message'] }}|{{ errorLogs()[0].level }}"
          - id: alert
            type: io.kestra.plugin.core.log.Log
            level: ERROR
            message: "alerting on {{ errorLogs() | length }} error(s)"
          - id: again
            type: io.kestra.plugin.core.debug.Return
            format: "{{ errorLogs() | length }}"
    """)
    x = await run(engine, source)
    assert x.state.current == "FAILED"
    assert outputs(x, "report")["value"] == "1|boom|the order service is down|ERROR"
    assert (
        outputs(x, "again")["value"] == "2"
    )  # errorLogs() reads the logs as they are now, as Kestra's query does
    await engine.aclose()


async def test_error_logs_is_an_empty_list_when_nothing_failed():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
            format: "{{ errorLogs() }}"
    """),
    )
    assert outputs(x, "r")["value"] == "[]"
    await engine.aclose()


def test_webhook_body_parsing_reads_what_python_json_reads() -> None:
    """trigger.body: a JSON object or array parsed (orjson, with Python's json for what orjson refuses),
    anything else the raw text, None when empty."""
    from lab.kestra.engine.webhooks import trigger_variables

    assert trigger_variables(b'{"a": [1, 2.5, "ol\\u00e1"]}', None, None)["body"] == {
        "a": [1, 2.5, "olá"]
    }
    huge = 2**70
    assert trigger_variables(f'{{"n": {huge}}}'.encode(), None, None)["body"] == {"n": huge}
    [nan] = trigger_variables(b"[NaN]", None, None)["body"]
    assert nan != nan  # Python's json reads NaN (orjson refuses it)
    assert trigger_variables(b'"just a string"', None, None)["body"] == '"just a string"'
    assert trigger_variables(b"not json", {"X": "1"}, {"q": ["a", "b"]}) == {
        "body": "not json",
        "headers": {"X": ["1"]},
        "parameters": {"q": ["a", "b"]},
    }
    assert trigger_variables(b"", None, None)["body"] is None
