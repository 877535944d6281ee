"""Every YAML the lab reads is bounded: alias bombs, self-referencing aliases, deep nesting and
huge numbers are refused at their line, with the limit and what to do, and nothing is kept."""

from __future__ import annotations

import httpx
import pytest
from loopback import LoopbackServer

from lab import yamlio
from lab.config import load_settings
from lab.errors import ConfigError
from lab.kestra.engine.validation import validate
from lab.llm.cassette import Cassette
from lab.prompts import load_prompt
from lab.scenarios.loader import load_scenario
from lab.whatsapp.templates import TemplateRegistry

from .conftest import BAD_DATE, DEEP, HUGE_INT, SELF_ALIAS, alias_bomb, engine_api

HOSTILE = {
    "billion laughs": (alias_bomb(), "aliases expand this collection to", 6),
    "self alias": (SELF_ALIAS, "an alias refers to the collection that contains it", 1),
    "deep nesting": (DEEP, "nesting deeper than 64 levels", 1),
    "huge integer": (HUGE_INT, "larger than the 64-bit integers", 1),
    "integer past 2^63": ("a: 9223372036854775808\n", "outside the 64-bit range", 1),
    "impossible date": (BAD_DATE, "not a valid date or timestamp", 1),
    "python set": ("a: 1\nb: !!set {x}\n", "the tag !!set", 2),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_parse_refuses_at_the_line_with_the_limit_and_a_fix(name):
    text, words, line = HOSTILE[name]
    with pytest.raises(ConfigError) as caught:
        yamlio.loads(text, source="x.yaml")
    assert words in caught.value.what
    assert caught.value.where.startswith(f"x.yaml:{line}:")
    assert caught.value.fix


def test_a_ten_to_the_ninth_bomb_is_measured_not_expanded():
    """690 bytes that expand to 10^9 strings: refused while only its 100 distinct nodes are seen."""
    bomb = alias_bomb(levels=9, fan=10)
    assert len(bomb) < 800
    with pytest.raises(yamlio.YamlLimitExceeded, match="more than the 100,000 they may add"):
        yamlio.parse(bomb)


def test_documents_past_the_size_limit_are_refused_before_parsing():
    with pytest.raises(yamlio.YamlLimitExceeded, match="larger than 100 bytes"):
        yamlio.parse("a: " + "x" * 200, yamlio.YamlLimits(max_bytes=100))


def test_ordinary_aliases_and_64_bit_integers_still_load():
    text = "base: &base {retries: 3}\na: *base\nb: [*base, *base]\nbig: 9223372036854775807\nsmall: -9223372036854775808\n"
    assert yamlio.parse(text) == {
        "base": {"retries": 3},
        "a": {"retries": 3},
        "b": [{"retries": 3}, {"retries": 3}],
        "big": 2**63 - 1,
        "small": -(2**63),
    }


def test_a_lone_surrogate_in_text_is_located():
    with pytest.raises(ConfigError) as caught:
        yamlio.loads("a: 1\nb: x\udc80y\n", source="x.yaml")
    assert caught.value.where == "x.yaml:2:5" and "surrogate" in caught.value.what


# -- each loader ---------------------------------------------------------------------------------


def _scenario(folder, body, encoding="utf-8"):
    path = folder / "s.yaml"
    path.write_bytes(
        (
            "version: 1\nflow: company.whatsapp/lead_qualification\nsteps:\n  - user: oi\nextra:\n  "
            + body.replace("\n", "\n  ")
        ).encode(encoding)
    )
    load_scenario(path)


def _cassette(folder, body, encoding="utf-8"):
    path = folder / "s.cassette.yaml"
    path.write_bytes(
        ("version: 1\nentries: []\nextra:\n  " + body.replace("\n", "\n  ")).encode(encoding)
    )
    Cassette.load(path)


def _prompt(folder, body, encoding="utf-8"):
    path = folder / "agent.v1.md"
    path.write_bytes(("---\nid: x\n" + body + "---\nHello\n").encode(encoding))
    load_prompt(path)


def _walab_yaml(folder, body, encoding="utf-8"):
    (folder / "walab.yaml").write_bytes(body.encode(encoding))
    load_settings(folder, env={})


def _templates(folder, body, encoding="utf-8"):
    (folder / "templates.yaml").write_bytes(body.encode(encoding))
    TemplateRegistry.load(folder)


LOADERS = {
    "scenario": _scenario,
    "cassette": _cassette,
    "prompt": _prompt,
    "walab.yaml": _walab_yaml,
    "templates": _templates,
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("name", ["billion laughs", "self alias", "deep nesting", "huge integer"])
def test_every_file_loader_refuses_hostile_yaml_with_a_located_error(tmp_path, loader, name):
    text, words, _line = HOSTILE[name]
    with pytest.raises(ConfigError) as caught:
        LOADERS[loader](tmp_path, text)
    assert words in caught.value.what
    assert ":" in (caught.value.where or "") and caught.value.fix


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_every_file_loader_says_where_a_file_is_not_utf8(tmp_path, loader):
    with pytest.raises(ConfigError) as caught:
        LOADERS[loader](tmp_path, "note: café\n", encoding="latin-1")
    assert "not UTF-8" in caught.value.what and caught.value.fix == "save the file as UTF-8"


@pytest.mark.parametrize("name", ["billion laughs", "self alias", "deep nesting", "huge integer"])
def test_flow_validation_refuses_hostile_yaml_with_the_limit(name):
    text, words, line = HOSTILE[name]
    flow = "id: f\nnamespace: company.team\ntasks: []\nvariables:\n  " + text.replace("\n", "\n  ")
    problems = validate(flow, path="f.yml")
    assert len(problems) == 1 and words in problems[0].message
    assert problems[0].line == line + 4 and problems[0].hint


# -- the engine API keeps nothing it refused ----------------------------------------------------

FLOW_HEAD = "id: bomb\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


@pytest.mark.parametrize(
    "body",
    [alias_bomb(levels=7, fan=10), SELF_ALIAS, DEEP, HUGE_INT],
    ids=["bomb", "self-alias", "deep", "huge-int"],
)
def test_the_flows_api_refuses_hostile_yaml_and_keeps_listing(body):
    source = FLOW_HEAD + "variables:\n  " + body.replace("\n", "\n  ")
    api = engine_api()
    with LoopbackServer(api) as served, httpx.Client(base_url=served.url, timeout=10) as http:
        created = http.post(
            "/api/v1/main/flows", content=source, headers={"content-type": "application/x-yaml"}
        )
        assert created.status_code == 422, created.text
        assert "refused" in created.json()["message"]
        listing = http.get("/api/v1/main/flows/search")
        assert listing.status_code == 200 and listing.json()["total"] == 0
        ok = http.post(
            "/api/v1/main/flows", content=FLOW_HEAD, headers={"content-type": "application/x-yaml"}
        )
        assert ok.status_code == 200
        updated = http.put(
            "/api/v1/main/flows/company.team/bomb",
            content=source,
            headers={"content-type": "application/x-yaml"},
        )
        assert updated.status_code == 422
        assert http.get("/api/v1/main/flows/company.team/bomb").json()["source"] == FLOW_HEAD
        assert http.get("/api/v1/main/flows/search").json()["total"] == 1


def test_a_namespace_update_with_one_hostile_flow_keeps_none_of_them():
    good = FLOW_HEAD.replace("id: bomb", "id: good")
    bad = FLOW_HEAD + "variables:\n  x: " + SELF_ALIAS
    api = engine_api()
    with LoopbackServer(api) as served, httpx.Client(base_url=served.url, timeout=10) as http:
        answer = http.post(
            "/api/v1/main/flows/company.team",
            content=good + "---\n" + bad,
            headers={"content-type": "application/x-yaml"},
        )
        assert answer.status_code == 422
        assert http.get("/api/v1/main/flows/search").json()["total"] == 0


def test_the_yaml_function_is_bounded_too():
    """yaml() in an expression may parse a webhook body: the same limits, as an expression error."""
    from lab.kestra.expr.errors import ExpressionError
    from lab.kestra.expr.functions import FUNCTIONS

    with pytest.raises(ExpressionError, match="an alias refers to the collection that contains it"):
        FUNCTIONS["yaml"](None, SELF_ALIAS)
