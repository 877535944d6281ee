"""Kestra's verdict on flows written for real Kestra with real plugins: an invented type or
property anywhere is named as such; real plugin tasks are valid and need a fixture here."""

from __future__ import annotations

import textwrap

import pytest

from lab.kestra.engine import validate


def flow(body: str) -> str:
    return "id: f\nnamespace: company.team\n" + textwrap.dedent(body)


def found(source: str, version: str = "1.3") -> list[tuple[str, str, int | None, str]]:
    return [
        (p.kind, p.severity, p.line, p.message)
        for p in validate(source, path="f.yml", version=version)
    ]


ETL = flow("""
    tasks:
      - id: extract
        type: io.kestra.plugin.jdbc.postgresql.Query
        url: jdbc:postgresql://db:5432/shop
        username: "{{ secret('DB_USER') }}"
        sql: select * from orders
        fetchType: FETCH
      - id: upload
        type: io.kestra.plugin.aws.s3.Upload
        region: eu-west-1
        bucket: leads
        key: "orders/{{ execution.id }}.json"
        from: "{{ outputs.extract.uri }}"
      - id: alert
        type: io.kestra.plugin.notifications.slack.SlackExecution
        url: "{{ secret('SLACK_WEBHOOK') }}"
        channel: "#ops"
    triggers:
      - id: nightly
        type: io.kestra.plugin.core.trigger.Schedule
        cron: "0 2 * * *"
""")


def test_a_real_plugin_flow_is_valid_with_one_fixture_note_per_plugin_task():
    problems = found(ETL)
    fixtures = [(line, m) for k, s, line, m in problems if k == "needs-fixture" and s == "warning"]
    assert [line for line, _m in fixtures] == [6, 12, 18]
    # plugin-notifications marks its Slack tasks deprecated: a warning, the flow stays valid
    assert {(k, s) for k, s, _line, _m in problems} == {
        ("needs-fixture", "warning"),
        ("deprecated", "warning"),
    }
    assert "outputs: {row: {}, rows: [], uri: '', size: 0}" in fixtures[0][1]


@pytest.mark.parametrize("version", ["1.3", "2.0"])
def test_invented_types_anywhere_are_unknown_with_did_you_mean(version):
    source = flow("""
        tasks:
          - id: alert
            type: io.kestra.plugin.notifications.slack.SlackIncomingWebhok
            url: https://hooks.slack.com/x
          - id: agent
            type: io.kestra.plugin.ai.agent.AIAgent
            prompt: hi
            provider:
              type: io.kestra.plugin.ai.provider.OpenAI
              modelName: gpt-4o-mini
              apiKey: k
            contentRetrievers:
              - type: io.kestra.plugin.ai.retriever.Invented
        triggers:
          - id: t
            type: io.kestra.plugin.core.trigger.Invented
    """)
    unknown = [(line, m) for k, _s, line, m in found(source, version) if k == "unknown-type"]
    assert [line for line, _m in unknown] == [6, 16, 19]
    assert (
        "did you mean io.kestra.plugin.notifications.slack.SlackIncomingWebhook?" in unknown[0][1]
    )
    assert "unknown to Kestra" in unknown[1][1] and "Invented" in unknown[2][1]


def test_properties_at_any_depth():
    source = flow("""
        tasks:
          - id: http
            type: io.kestra.plugin.core.http.Request
            uri: https://example.com
            options:
              followRedirects: maybe
              auth:
                type: BEARER
                tokn: abc
            retry:
              type: constant
              interval: PT1S
              maxAttempts: 3
              maxAtempts: 2
          - id: q
            type: io.kestra.plugin.jdbc.postgresql.Query
            sql: select 1
            fetchTyp: STORE
            fetchSize: many
            fetchType: SOMETIMES
    """)
    problems = {(k, line): m for k, _s, line, m in found(source)}
    assert "`followRedirects` must be a boolean" in problems[("invalid", 9)]
    assert (
        "unknown property `tokn`" in problems[("unknown-property", 12)]
        and "did you mean `token`" in problems[("unknown-property", 12)]
    )
    assert "did you mean `maxAttempts`" in problems[("unknown-property", 17)]
    assert "did you mean `fetchType`" in problems[("unknown-property", 21)]
    assert "must be an integer" in problems[("invalid", 22)]
    assert "must be one of STORE, FETCH, FETCH_ONE, NONE" in problems[("invalid", 23)]
    assert "missing required property `url`" in problems[("missing-property", 18)]


def test_deprecated_is_a_warning_and_removed_in_2_is_an_error():
    source = flow("""
        inputs:
          - id: ok
            type: BOOLEAN
        tasks:
          - id: http
            type: io.kestra.plugin.core.http.Request
            uri: https://example.com
            options:
              connectTimeout: PT5S
        triggers:
          - id: s
            type: io.kestra.plugin.core.trigger.Schedule
            cron: "0 * * * *"
            conditions:
              - type: io.kestra.plugin.core.condition.Weekend
    """)
    on_13 = [(k, s) for k, s, _l, _m in found(source, "1.3")]
    assert on_13 == [("deprecated", "warning")]
    on_20 = {(k, line): m for k, _s, line, m in found(source, "2.0")}
    assert "BOOLEAN was removed in Kestra 2.0; use BOOL" in on_20[("unknown-property", 6)]
    assert "`connectTimeout` was removed in Kestra 2.0" in on_20[("unknown-property", 12)]
    assert "`conditions` was removed in Kestra 2.0" in on_20[("unknown-property", 18)]


def test_removed_types_in_2_are_named():
    source = flow("""
        tasks:
          - id: count
            type: io.kestra.plugin.core.execution.Count
            expression: "{{ count > 0 }}"
            startDate: "{{ now() }}"
    """)
    [(kind, _s, line, message)] = [p for p in found(source, "2.0") if p[0] == "unknown-type"]
    assert line == 6 and "was removed in Kestra 2.0" in message


def test_a_trigger_condition_of_the_wrong_kind_is_named():
    source = flow("""
        tasks:
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: hi
        triggers:
          - id: s
            type: io.kestra.plugin.core.trigger.Schedule
            cron: "0 * * * *"
            conditions:
              - type: io.kestra.plugin.core.log.Log
    """)
    [(kind, _s, line, message)] = found(source)
    assert kind == "invalid" and line == 13 and "is a task, not a Condition" in message


def test_plugin_defaults_values_are_checked_against_the_plugin():
    source = flow("""
        tasks:
          - id: q
            type: io.kestra.plugin.jdbc.postgresql.Query
            sql: select 1
        pluginDefaults:
          - type: io.kestra.plugin.jdbc.postgresql.Query
            values:
              url: jdbc:postgresql://db/x
              urll: typo
    """)
    problems = [(k, line) for k, _s, line, _m in found(source)]
    assert ("needs-fixture", 6) in problems and ("unknown-property", 12) in problems
    assert not any(k == "missing-property" for k, _line in problems)  # url comes from the default


def test_a_plugin_family_outside_the_catalogue_is_not_judged():
    source = flow("""
        tasks:
          - id: dbt
            type: io.kestra.plugin.dbt.cli.DbtCLI
            commands: [dbt run]
    """)
    [(kind, severity, line, message)] = found(source)
    assert (kind, severity, line) == (
        "needs-fixture",
        "warning",
        6,
    ) and "outside walab's catalogue" in message
