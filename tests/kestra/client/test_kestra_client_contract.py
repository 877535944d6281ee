"""One client suite, three targets: Kestra 1.3 fixtures, Kestra 2.0 fixtures, the embedded engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.kestra.errors import KestraAuthError, KestraConflict, KestraInvalid, KestraNotFound
from lab.kestra.shapes import TERMINATED

FLOWS = Path(__file__).resolve().parent / "flows"
NS = "company.team"
BODY = json.dumps({"name": "Ana"}).encode()


async def test_detect_reads_version_edition_dialect_and_auth(kestra_target):
    info = await kestra_target.client.detect()
    assert info.dialect == kestra_target.dialect
    assert info.version.startswith(kestra_target.dialect.split(".")[0] + ".")
    assert info.edition == "OSS"
    assert info.basic_auth_enabled is True
    assert kestra_target.client.dialect == kestra_target.dialect


async def test_webhook_creates_an_execution_that_ends_in_success(kestra_target):
    kestra = kestra_target.client
    hook = await kestra.trigger_webhook(
        NS, "hello", "hello-key", BODY, {"Content-Type": "application/json"}
    )
    assert hook.status == 200 and hook.started
    assert (
        hook.execution_id and hook.execution.flow_id == "hello" and hook.execution.namespace == NS
    )
    assert hook.execution.labels["system.correlationId"] == hook.execution_id
    assert hook.execution.trigger["variables"]["body"] == {"name": "Ana"}

    execution = await kestra.wait_terminal(hook.execution_id, timeout=10)
    assert execution.state.current == "SUCCESS" and execution.terminated
    assert execution.state.end_date and execution.state.duration.startswith("PT")
    assert [t.task_id for t in execution.task_runs] == ["log", "greet"]
    for run in execution.task_runs:
        assert run.state.current == "SUCCESS"
        assert len(run.attempts) == 1 and run.attempts[0].state.current == "SUCCESS"
    assert await kestra.results.flow_outputs(execution) == {"greeting": "Hello Ana"}
    outputs = {o.task_id: o.value for o in await kestra.results.outputs(execution)}
    assert outputs["greet"] == {"value": "Hello Ana"}  # 2.0: from /outputs/tasks/{id}/{taskRunId}
    filled = await kestra.results.with_outputs(execution)
    assert filled.outputs == {"greeting": "Hello Ana"}
    assert filled.task_run("greet").outputs == {"value": "Hello Ana"}


async def test_follow_yields_snapshots_until_terminal(kestra_target):
    kestra = kestra_target.client
    hook = await kestra.trigger_webhook(NS, "hello", "hello-key", BODY)
    snapshots = [s async for s in kestra.follow_execution(hook.execution_id)]
    assert snapshots, "at least the final execution"
    assert all(s.id == hook.execution_id for s in snapshots)
    assert snapshots[-1].state.current == "SUCCESS" and snapshots[-1].terminated
    assert all(s.state.current not in TERMINATED for s in snapshots[:-2])


async def test_failed_flow_reports_failed_task_run_and_error_log(kestra_target):
    kestra = kestra_target.client
    hook = await kestra.trigger_webhook(NS, "boom", "boom-key", BODY)
    execution = await kestra.wait_terminal(hook.execution_id, timeout=10)
    assert execution.state.current == "FAILED"
    assert execution.task_run("fail").state.current == "FAILED"
    logs = await kestra.get_logs(hook.execution_id)
    assert any(
        entry.level == "ERROR" and "boom" in entry.message and entry.task_id == "fail"
        for entry in logs
    )


async def test_logs_of_an_execution(kestra_target):
    kestra = kestra_target.client
    hook = await kestra.trigger_webhook(NS, "hello", "hello-key", BODY)
    await kestra.wait_terminal(hook.execution_id, timeout=10)
    logs = await kestra.get_logs(hook.execution_id)
    hello = [e for e in logs if e.message == "Hello Ana"]
    assert hello and hello[0].level == "INFO" and hello[0].task_id == "log"
    assert (
        hello[0].execution_id == hook.execution_id
        and hello[0].attempt_number == 0
        and hello[0].timestamp
    )
    assert all(
        e.level in ("ERROR", "WARN")
        for e in await kestra.get_logs(hook.execution_id, min_level="WARN")
    )


async def test_logs_until_terminal_closes_the_never_ending_log_stream(kestra_target):
    kestra = kestra_target.client
    hook = await kestra.trigger_webhook(NS, "hello", "hello-key", BODY)
    entries = [
        e async for e in kestra.logs_until_terminal(hook.execution_id, grace=0.05, timeout=10)
    ]
    assert "Hello Ana" in [e.message for e in entries]


async def test_wait_and_return_outputs_webhook_answers_with_the_outputs(kestra_target):
    hook = await kestra_target.client.trigger_webhook(NS, "waiter", "waiter-key", BODY)
    assert hook.status == 200 and hook.execution is None
    assert hook.outputs == {"greeting": "Hello Ana"}


async def test_disabled_flow_is_a_409_with_a_fix(kestra_target):
    with pytest.raises(KestraConflict) as err:
        await kestra_target.client.trigger_webhook(NS, "dormant", "dormant-key", BODY)
    assert err.value.status == 409 and "disabled" in err.value.render()
    assert "enable the flow" in err.value.fix


async def test_unknown_flow_and_execution_are_404(kestra_target):
    kestra = kestra_target.client
    with pytest.raises(KestraNotFound) as err:
        await kestra.trigger_webhook(NS, "nope", "hello-key", BODY)
    assert "Flow not found" in err.value.render()
    with pytest.raises(KestraNotFound):
        await kestra.get_execution("unknown")


async def test_missing_credentials_are_a_401_that_says_how_to_set_them(kestra_target):
    anonymous = kestra_target.make_client()
    try:
        assert (await anonymous.detect()).basic_auth_enabled  # configs is open
        hook = await anonymous.trigger_webhook(NS, "hello", "hello-key", BODY)  # webhooks are open
        with pytest.raises(KestraAuthError) as err:
            await anonymous.get_execution(hook.execution_id)
        assert (
            err.value.status == 401
            and "KESTRA_USER" in err.value.fix
            and "walab.yaml" in err.value.fix
        )
        with pytest.raises(KestraAuthError):
            await anonymous.check_credentials()
        await kestra_target.client.check_credentials()
    finally:
        await anonymous.aclose()


async def test_kill_a_finished_execution_is_accepted(kestra_target):
    kestra = kestra_target.client
    hook = await kestra.trigger_webhook(NS, "hello", "hello-key", BODY)
    await kestra.wait_terminal(hook.execution_id, timeout=10)
    await kestra.kill(hook.execution_id)
    with pytest.raises(KestraNotFound):
        await kestra.kill("unknown")


async def test_flow_create_update_get_and_already_exists(kestra_target):
    kestra = kestra_target.client
    source = (FLOWS / "hello.yml").read_text().replace("id: hello", "id: created", 1)
    created = await kestra.flows.create(source)
    assert (
        (created.namespace, created.id) == (NS, "created")
        and created.revision
        and "id: created" in created.source
    )
    updated = await kestra.flows.update(NS, "created", source)
    assert updated.id == "created"
    with pytest.raises(KestraInvalid) as err:
        await kestra.flows.create((FLOWS / "hello.yml").read_text())
    assert "already exists" in err.value.render()
    deployed = await kestra.flows.deploy((FLOWS / "hello.yml").read_text())  # exists -> update
    assert deployed.id == "hello"
    fetched = await kestra.flows.get(NS, "hello")
    assert fetched.id == "hello" and "hello-key" in fetched.source and fetched.disabled is False
    with pytest.raises(KestraNotFound):
        await kestra.flows.update(NS, "nope", source.replace("id: created", "id: nope", 1))


async def test_namespace_sync_never_deletes_unless_asked(kestra_target):
    kestra = kestra_target.client
    flows = await kestra.flows.sync_namespace(NS, [(FLOWS / "hello.yml").read_text()])
    assert [f.id for f in flows] == ["hello"]
    # the other flows of the namespace are still there
    assert (await kestra.flows.get(NS, "hello")).id == "hello"
    if not kestra_target.fixtures:
        await kestra.trigger_webhook(NS, "boom", "boom-key", BODY)


async def test_validate_reports_constraints_per_flow(kestra_target):
    broken = (
        (FLOWS / "boom.yml")
        .read_text()
        .replace("id: boom", "id: broken", 1)
        .replace("io.kestra.plugin.core.execution.Fail", "io.kestra.plugin.core.debug.UnknownTask")
    )
    reports = await kestra_target.client.flows.validate([(FLOWS / "hello.yml").read_text(), broken])
    assert [r.index for r in reports] == [0, 1]
    assert reports[0].valid and reports[0].flow == "hello" and reports[0].namespace == NS
    assert not reports[1].valid and reports[1].flow == "broken"
    assert "io.kestra.plugin.core.debug.UnknownTask" in reports[1].constraints


async def test_kv_put_get_delete(kestra_target):
    kestra = kestra_target.client
    await kestra.kv.put(NS, "greeting", "hello")
    entry = await kestra.kv.get(NS, "greeting")
    assert (entry.type, entry.value, entry.revision) == ("STRING", "hello", 1) and entry.updated
    with pytest.raises(KestraNotFound) as err:
        await kestra.kv.get(NS, "missing")
    assert "missing" in err.value.render()
    assert await kestra.kv.delete(NS, "greeting") is True
    assert await kestra.kv.delete(NS, "missing") is False


async def test_namespace_files_upload_read_list(kestra_target):
    kestra = kestra_target.client
    await kestra.files.upload(NS, "prompts/system.md", b"You are a helpful agent.\n")
    assert await kestra.files.read(NS, "/prompts/system.md") == b"You are a helpful agent.\n"
    listing = await kestra.files.list(NS, "/prompts")
    assert [(f.name, f.type, f.size) for f in listing] == [("system.md", "File", 25)]
    with pytest.raises(KestraNotFound):
        await kestra.files.read(NS, "/prompts/missing.md")


async def test_metrics_parse(kestra_target):
    metrics = await kestra_target.client.results.metrics("4QjCuH1pG5B2k3Nn7xY9aZ")
    if kestra_target.fixtures:
        tokens = {m.name: m.value for m in metrics}
        assert tokens == {
            "input.token.count": 12,
            "output.token.count": 30,
            "total.token.count": 42,
        }
        assert metrics[0].task_id == "llm" and metrics[0].type == "counter"
    else:
        assert metrics == []
