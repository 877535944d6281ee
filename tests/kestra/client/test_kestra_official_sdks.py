"""Kestra's official Python SDKs drive the embedded REST API unchanged, over loopback, with basic
auth as a real user gives it: kestrapy (Kestra 2.0's SDK) against the engine in 2.0 mode, and
kestra-api-client (the 1.x SDK) against it in 1.3 mode where the SDK's own bugs allow. Every
response is checked against Kestra's OpenAPI document of the dialect as well as by the SDK."""

from __future__ import annotations

import time

import pytest
from conftest import LoopbackServer, embedded_app
from kestra_fixture_app import PASSWORD, USER
from openapi_contract import Contract, ContractRecorder

NS = "company.team"
TENANT = "main"
SCRIPTED = """id: sdk_outputs
namespace: company.team
labels:
  team: bots
inputs:
  - id: name
    type: STRING
    defaults: Ana
tasks:
  - id: greet
    type: io.kestra.plugin.core.debug.Return
    format: "Hello {{ inputs.name }}"
  - id: count
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.greet.value }}"
outputs:
  - id: greeting
    type: STRING
    value: "{{ outputs.greet.value }}"
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: sdk-key
"""
PAUSED = """id: sdk_paused
namespace: company.team
tasks:
  - id: wait_for_ok
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed
"""
PLAIN = """id: sdk_plain
namespace: company.sdk
tasks:
  - id: greet
    type: io.kestra.plugin.core.debug.Return
    format: Hello
"""
SLEEPY = """id: sdk_sleepy
namespace: company.team
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT30S
"""


@pytest.fixture
def served():
    """(recorder, url): the embedded API in a dialect, on a loopback port, every exchange recorded."""
    servers = []

    def serve(dialect: str):
        recorder = ContractRecorder(embedded_app(dialect))
        server = LoopbackServer(recorder).__enter__()
        servers.append(server)
        return recorder, server.url

    yield serve
    for server in servers:
        server.__exit__(None, None, None)


def _until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def test_kestrapy_drives_every_route_in_2_0_mode(served):
    from kestrapy import KestraClient
    from kestrapy.exceptions import NotFoundException, UnauthorizedException

    recorder, url = served("2.0")
    with pytest.raises(UnauthorizedException):
        KestraClient(host=url).flows.flow(NS, "hello", TENANT)  # basic auth is on, as on Kestra OSS
    kestra = KestraClient(host=url, username=USER, password=PASSWORD)

    assert kestra.misc.configuration().version.startswith("2.0")
    # flows
    created = kestra.flows.create_flow(TENANT, SCRIPTED)
    assert created.id == "sdk_outputs" and created.source == SCRIPTED and created.draft is False
    assert [(lb.key, lb.value) for lb in kestra.flows.flow(NS, "sdk_outputs", TENANT).labels] == [
        ("team", "bots")
    ]
    assert kestra.flows.update_flow(NS, "sdk_outputs", TENANT, SCRIPTED).id == "sdk_outputs"
    kestra.flows.create_flow(TENANT, PAUSED)
    kestra.flows.create_flow(TENANT, SLEEPY)
    assert "sdk_outputs" in {f.id for f in kestra.flows.list_flows_by_namespace(NS, TENANT)}
    assert kestra.flows.search_flows(TENANT, page=1, size=50).total >= 5
    assert kestra.flows.validate_flows(TENANT, SCRIPTED)[0].constraints is None
    updated = kestra.flows.update_flows_in_namespace(NS, TENANT, SCRIPTED, delete=False)
    assert [f.id for f in updated] == ["sdk_outputs"]

    # executions: create (wait), get, search (both forms), follow, outputs, logs, metrics
    done = kestra.executions.create_execution(
        TENANT, NS, "sdk_outputs", wait=True, inputs={"name": "Bia"}, labels=["origin:sdk"]
    )
    assert done.state.current.value == "SUCCESS" and done.original_id == done.id
    execution = kestra.executions.execution(done.id, TENANT)
    assert [t.task_id for t in execution.task_run_list] == ["greet", "count"]
    found = kestra.executions.search_executions(
        TENANT,
        filters=[
            {"field": "namespace", "operation": "EQUALS", "value": NS},
            {"field": "flowId", "operation": "EQUALS", "value": "sdk_outputs"},
        ],
    )
    assert found["total"] == 1 and found["results"][0]["id"] == done.id
    assert kestra.executions.search_executions_by_flow_id(TENANT, NS, "sdk_outputs")["total"] == 1
    events = list(kestra.executions.follow_execution(done.id, TENANT))
    assert events[-1].state.current.value == "SUCCESS"
    assert kestra.outputs.execution_outputs(done.id, TENANT) == {"greeting": "Hello Bia"}
    listed = kestra.outputs.task_outputs_information(done.id, TENANT)
    greet = next(i for i in listed if i.task_id == "greet")
    assert kestra.outputs.task_run_outputs(done.id, greet.task_run_id, TENANT) == {
        "value": "Hello Bia"
    }
    assert [e.message for e in kestra.logs.list_logs_from_execution(done.id, TENANT)] == [
        "Hello Bia"
    ]
    assert "Hello Bia" in kestra.logs.download_logs_from_execution(done.id, TENANT)
    assert next(iter(kestra.logs.follow_logs_from_execution(done.id, TENANT))) is not None
    assert kestra.metrics.execution_metrics(done.id, TENANT)["total"] == 0

    # webhook, resume, kill
    hook = kestra.executions.trigger_execution_by_get_webhook(TENANT, NS, "sdk_outputs", "sdk-key")
    assert hook.id and hook.flow_id == "sdk_outputs"
    paused = kestra.executions.create_execution(TENANT, NS, "sdk_paused")
    assert _until(
        lambda: kestra.executions.execution(paused.id, TENANT).state.current.value == "PAUSED"
    )
    assert kestra.executions.resume_execution(paused.id, TENANT).id == paused.id
    assert _until(
        lambda: kestra.executions.execution(paused.id, TENANT).state.current.value == "SUCCESS"
    )
    sleepy = kestra.executions.create_execution(TENANT, NS, "sdk_sleepy")
    killed = kestra.executions.kill_execution(sleepy.id, TENANT)
    assert killed.id == sleepy.id
    assert _until(
        lambda: kestra.executions.execution(sleepy.id, TENANT).state.current.value == "KILLED"
    )

    # KV: set, get, list (all, with inheritance), delete
    kestra.kv.set_key_value(NS, "greeting", TENANT, '"hello"')
    kestra.kv.set_key_value("company", "shared", TENANT, "42")
    detail = kestra.kv.key_value(NS, "greeting", TENANT)
    assert detail.type.value == "STRING" and detail.value == "hello"
    entries = kestra.kv.list_all_keys(
        TENANT, filters=[{"field": "namespace", "operation": "EQUALS", "value": NS}]
    )
    assert [e.key for e in entries.results] == ["greeting"] and entries.results[0].creation_date
    assert [e.key for e in kestra.kv.list_keys_with_inheritance(NS, TENANT)] == [
        "greeting",
        "shared",
    ]
    assert kestra.kv.delete_key_value(NS, "greeting", TENANT) is True
    with pytest.raises(NotFoundException):
        kestra.kv.key_value(NS, "greeting", TENANT)

    # namespace files
    kestra.files.create_namespace_file(NS, "/prompts/system.md", TENANT, file_content=b"Be brief.")
    assert kestra.files.file_content(NS, "/prompts/system.md", TENANT) == b"Be brief."
    assert [
        f.file_name
        for f in kestra.files.list_namespace_directory_files(NS, TENANT, path="/prompts")
    ] == ["system.md"]
    assert kestra.files.file_metadatas(NS, TENANT, path="/prompts/system.md").size == 9
    kestra.files.delete_file_directory(NS, "/prompts/system.md", TENANT)

    kestra.flows.delete_flow(NS, "sdk_sleepy", TENANT)
    with pytest.raises(NotFoundException):
        kestra.flows.flow(NS, "sdk_sleepy", TENANT)

    problems = recorder.problems(Contract("2.0"))
    assert not problems, "\n".join(problems)
    served_operations = {
        op["operationId"]
        for item in Contract("2.0").document["paths"].values()
        for op in item.values()
    }
    missing = served_operations - recorder.operations(Contract("2.0"))
    assert missing <= {
        "triggerExecutionByPostWebhook",
        "triggerExecutionByPutWebhook",
    }, missing  # no body param


def test_kestra_api_client_drives_the_1_3_api_where_its_bugs_allow(served):
    """kestra-api-client 1.0.0 is generated from Kestra 1.0's document; what its own models reject in
    Kestra's answers is left out: flow inputs with `defaults` (its `PropertyObject` wants an object
    where Kestra writes the value), flows with triggers (its `AbstractTrigger` validates `type` with a
    Java regex, `\\p{javaJavaIdentifierStart}`, that Python's `re` cannot compile), `create_execution`
    (typed as a list of executions)."""
    import kestra_api_client as sdk

    recorder, url = served("1.3")
    config = sdk.Configuration(host=url, username=USER, password=PASSWORD)
    with sdk.ApiClient(config) as api:
        flows, executions, kv = sdk.FlowsApi(api), sdk.ExecutionsApi(api), sdk.KVApi(api)
        files, misc = sdk.FilesApi(api), sdk.MiscApi(api)
        assert misc.get_configuration().version.startswith("1.3")
        assert flows.create_flow(TENANT, PLAIN).id == "sdk_plain"
        assert [f.id for f in flows.list_flows_by_namespace("company.sdk", TENANT)] == ["sdk_plain"]
        broken = PLAIN.replace(
            "io.kestra.plugin.core.debug.Return", "io.kestra.plugin.core.debug.Nope"
        )
        assert (
            "Nope" in flows.validate_flows(TENANT, broken)[0].constraints
        )  # a valid flow's null breaks its model
        found = executions.search_executions(page=1, size=10, tenant=TENANT, namespace=NS)
        assert found.total == 0
        kv.set_key_value(NS, "greeting", TENANT, '"hello"')
        assert [e.key for e in kv.list_keys(NS, TENANT)] == ["greeting"]
        assert [e.key for e in kv.list_keys_with_inheritence(NS, TENANT)] == ["greeting"]
        assert kv.delete_key_value(NS, "greeting", TENANT) is True
        files.create_namespace_file(
            NS, "/prompts/system.md", TENANT, file_content=("system.md", b"Be brief.")
        )
        assert files.get_file_metadatas(NS, TENANT, path="/prompts/system.md").size == 9
        assert [
            f.file_name for f in files.list_namespace_directory_files(NS, TENANT, path="/prompts")
        ] == ["system.md"]
        flows.delete_flow("company.sdk", "sdk_plain", TENANT)
    problems = recorder.problems(Contract("1.3"))
    assert not problems, "\n".join(problems)


def test_kestrapy_on_the_1_3_api_for_what_both_versions_share(served):
    """kestrapy against the engine in 1.3 mode, on the routes 1.3 and 2.0 share (2.0's outputs and
    `/actions/...` routes are not in 1.3), each response checked against the 1.3 document."""
    from kestrapy import KestraClient

    recorder, url = served("1.3")
    kestra = KestraClient(host=url, username=USER, password=PASSWORD)
    assert kestra.misc.configuration().version.startswith("1.3")
    kestra.flows.create_flow(TENANT, SCRIPTED)
    assert [(lb.key, lb.value) for lb in kestra.flows.flow(NS, "sdk_outputs", TENANT).labels] == [
        ("team", "bots")
    ]
    assert kestra.flows.update_flow(NS, "sdk_outputs", TENANT, SCRIPTED).id == "sdk_outputs"
    assert "sdk_outputs" in {f.id for f in kestra.flows.list_flows_by_namespace(NS, TENANT)}
    assert kestra.flows.search_flows(TENANT, page=1, size=50).total >= 5
    assert kestra.flows.validate_flows(TENANT, SCRIPTED)[0].constraints is None
    assert [
        f.id for f in kestra.flows.update_flows_in_namespace(NS, TENANT, SCRIPTED, delete=False)
    ] == ["sdk_outputs"]
    done = kestra.executions.create_execution(
        TENANT, NS, "sdk_outputs", wait=True, inputs={"name": "Bia"}
    )
    execution = kestra.executions.execution(done.id, TENANT)
    assert [t.task_id for t in execution.task_run_list] == ["greet", "count"]
    assert kestra.executions.search_executions_by_flow_id(TENANT, NS, "sdk_outputs")["total"] == 1
    assert (
        kestra.executions.search_executions(
            TENANT, filters=[{"field": "flowId", "operation": "EQUALS", "value": "sdk_outputs"}]
        )["total"]
        == 1
    )
    assert (
        list(kestra.executions.follow_execution(done.id, TENANT))[-1].state.current.value
        == "SUCCESS"
    )
    assert "Hello Bia" in kestra.logs.download_logs_from_execution(done.id, TENANT)
    assert [e.message for e in kestra.logs.list_logs_from_execution(done.id, TENANT)] == [
        "Hello Bia"
    ]
    assert kestra.metrics.execution_metrics(done.id, TENANT)["total"] == 0
    assert kestra.executions.trigger_execution_by_get_webhook(
        TENANT, NS, "sdk_outputs", "sdk-key"
    ).id
    kestra.kv.set_key_value(NS, "greeting", TENANT, '"hello"')
    assert kestra.kv.key_value(NS, "greeting", TENANT).value == "hello"
    assert [e.key for e in kestra.kv.list_all_keys(TENANT).results] == ["greeting"]
    assert [e.key for e in kestra.kv.list_keys_with_inheritance(NS, TENANT)] == ["greeting"]
    assert kestra.kv.delete_key_value(NS, "greeting", TENANT) is True
    kestra.files.create_namespace_file(NS, "/prompts/system.md", TENANT, file_content=b"Be brief.")
    assert kestra.files.file_metadatas(NS, TENANT, path="/prompts/system.md").size == 9
    kestra.flows.delete_flow(NS, "sdk_outputs", TENANT)
    problems = recorder.problems(Contract("1.3"))
    assert not problems, "\n".join(problems)
