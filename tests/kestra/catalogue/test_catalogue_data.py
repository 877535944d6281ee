"""The shipped plugin catalogue: the families it covers, what it records per type, how it loads."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from lab.kestra.catalogue import java_source
from lab.kestra.catalogue.reader import DATA, catalogue

FAMILIES = [  # a type of each family the catalogue must know, with the repository it comes from
    ("io.kestra.plugin.core.http.Request", "kestra-io/kestra"),
    ("io.kestra.plugin.scripts.python.Script", "kestra-io/plugin-scripts"),
    ("io.kestra.plugin.notifications.slack.SlackIncomingWebhook", "kestra-io/plugin-notifications"),
    ("io.kestra.plugin.jdbc.postgresql.Query", "kestra-io/plugin-jdbc"),
    ("io.kestra.plugin.jdbc.mysql.Query", "kestra-io/plugin-jdbc"),
    ("io.kestra.plugin.aws.s3.Upload", "kestra-io/plugin-aws"),
    ("io.kestra.plugin.gcp.gcs.Upload", "kestra-io/plugin-gcp"),
    ("io.kestra.plugin.azure.storage.blob.Upload", "kestra-io/plugin-azure"),
    ("io.kestra.plugin.ai.completion.ChatCompletion", "kestra-io/plugin-ai"),
    ("io.kestra.plugin.git.Clone", "kestra-io/plugin-git"),
    ("io.kestra.plugin.fs.sftp.Upload", "kestra-io/plugin-fs"),
    ("io.kestra.plugin.serdes.csv.CsvToIon", "kestra-io/plugin-serdes"),
    ("io.kestra.plugin.kafka.Produce", "kestra-io/plugin-kafka"),
    ("io.kestra.plugin.mongodb.Find", "kestra-io/plugin-mongodb"),
    ("io.kestra.plugin.redis.string.Set", "kestra-io/plugin-redis"),
    ("io.kestra.plugin.elasticsearch.Search", "kestra-io/plugin-elasticsearch"),
    ("io.kestra.plugin.googleworkspace.sheets.Read", "kestra-io/plugin-googleworkspace"),
    ("io.kestra.plugin.scripts.runner.docker.Docker", "kestra-io/kestra"),
]


@pytest.mark.parametrize(("type_name", "repo"), FAMILIES)
def test_each_family_is_catalogued_with_its_repository_and_commit(type_name, repo):
    info = catalogue().type(type_name)
    assert info is not None, type_name
    assert info.repo.startswith(repo) and len(info.commit) == 40


def test_categories_of_nested_plugin_objects():
    c = catalogue()
    assert c.type("io.kestra.plugin.ai.provider.OpenAI").category == "pluginObject"
    assert c.type("io.kestra.plugin.ai.memory.KestraKVStore").category == "pluginObject"
    assert c.type("io.kestra.plugin.scripts.runner.docker.Docker").category == "taskRunner"
    assert c.type("io.kestra.plugin.core.condition.ExecutionStatus").category == "condition"
    assert c.type("io.kestra.plugin.core.trigger.Schedule").category == "trigger"


def test_aliases_resolve_to_the_current_type():
    c = catalogue()
    assert (
        c.canonical("io.kestra.plugin.langchain4j.provider.OpenAI")
        == "io.kestra.plugin.ai.provider.OpenAI"
    )
    assert c.canonical("io.kestra.core.tasks.log.Log") == "io.kestra.plugin.core.log.Log"
    assert c.canonical("io.kestra.plugin.core.log.Logg") is None


def test_versions_of_types_and_properties():
    c = catalogue()
    assert c.type("io.kestra.plugin.core.flow.Loop").versions == ("2.0",)
    assert c.type("io.kestra.plugin.core.flow.ForEach").versions == ("1.3",)
    assert c.type("io.kestra.plugin.core.execution.Count").versions == ("1.3",)
    options = "io.kestra.core.http.client.configurations.HttpConfiguration"
    assert (
        "connectTimeout" in c.properties(options, "1.3")
        and c.properties(options, "1.3")["connectTimeout"].deprecated
    )
    assert "connectTimeout" not in c.properties(options, "2.0")
    assert c.other_versions(options, "connectTimeout", "2.0") == ["1.3"]


def test_properties_inherited_required_default_dynamic():
    props = catalogue().properties("io.kestra.plugin.core.http.Request", "1.3")
    assert props["uri"].required and props["uri"].dynamic and props["uri"].type == "string"
    assert props["method"].default == "GET" and not props["method"].required
    assert (
        props["retry"].type == "ref:io.kestra.core.models.tasks.retrys.AbstractRetry"
    )  # from Task
    assert (
        props["options"].type == "ref:io.kestra.core.http.client.configurations.HttpConfiguration"
    )


def test_outputs_with_their_json_types():
    assert catalogue().outputs("io.kestra.plugin.jdbc.postgresql.Query") == {
        "row": "object",
        "rows": "array<object>",
        "uri": "string",
        "size": "integer",
    }
    assert catalogue().outputs("io.kestra.plugin.core.log.Log") == {}


def test_did_you_mean_over_the_whole_catalogue():
    c = catalogue()
    assert (
        c.suggest("io.kestra.plugin.notifications.slack.SlackIncomingWebhok")
        == "io.kestra.plugin.notifications.slack.SlackIncomingWebhook"
    )
    assert c.suggest("io.kestra.plugin.ai.retriever.Invented") is None


def test_walab_send_and_the_engine_do_not_load_it():
    script = textwrap.dedent("""
        import sys
        import lab.cli
        from lab.kestra.engine import Engine
        Engine().deploy_dir("flows")
        from lab.kestra.catalogue.reader import catalogue
        print(catalogue.cache_info().currsize)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_the_data_file_is_one_type_or_class_per_line():
    lines = DATA.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 2000 and max(map(len, lines)) < 20_000


def test_the_java_reader_finds_fields_annotations_parents_and_outputs():
    parsed = java_source.parse(
        textwrap.dedent('''
        package io.example.plugin;

        import io.kestra.core.models.tasks.Task;

        /** A task, { with braces } in a comment. */
        @Plugin(aliases = {"io.example.old.Thing"}, examples = {@Example(code = """
            tasks: { x }
            """)})
        public class Thing extends Task implements RunnableTask<Thing.Output> {
            private static final int LIMIT = 3;

            @NotNull
            @PluginProperty(dynamic = true)
            private Property<String> url;

            @Builder.Default
            private Property<Integer> size = Property.ofValue(10);

            @Deprecated
            public void setOldName(String value) { this.url = Property.ofValue(value); }

            public Output run(RunContext ctx) { if (true) { return null; } return null; }

            public static class Output implements io.kestra.core.models.tasks.Output {
                private final List<Map<String, Object>> rows;
            }

            public enum Mode { FAST, SLOW("s"); Mode() {} Mode(String s) {} }
        }
    ''')
    )
    [thing] = parsed.classes
    assert thing.extends == ["Task"] and thing.implements == ["RunnableTask<Thing.Output>"]
    assert "io.example.old.Thing" in thing.annotations
    fields = {f.name: f for f in thing.fields}
    assert fields["url"].type == "Property<String>" and "@NotNull" in fields["url"].annotations
    assert fields["size"].initializer == "Property.ofValue(10)"
    assert fields["oldName"].origin == "setter" and "@Deprecated" in fields["oldName"].annotations
    assert "run" not in fields and "static" in fields["LIMIT"].modifiers
    output, mode = thing.nested
    assert [f.name for f in output.fields] == ["rows"]
    assert mode.constants == ["FAST", "SLOW"]
