"""The template registry: packaged defaults, the project's file, and clear errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import ConfigError
from lab.whatsapp.templates import TemplateRegistry

from .conftest import ROOT


def test_packaged_and_project_templates():
    packaged = TemplateRegistry.load()
    assert packaged.get("hello_world", "en_US").category == "utility"
    project = TemplateRegistry.load(ROOT)
    t = project.get("prosseguir_com_solicitacao", "pt_BR")
    assert (t.category, t.status, t.placeholders("body")) == ("utility", "APPROVED", ["1", "2"])
    assert [b.type for b in t.buttons] == ["quick_reply", "quick_reply"]
    assert project.get("confirmacao_visita_tecnica", "pt_BR").named
    assert project.get("promocao_inverno", "pt_BR").status == "PAUSED"


def test_project_file_overrides_and_extra_file(tmp_path: Path):
    (tmp_path / "templates.yaml").write_text(
        "version: 1\ntemplates:\n  - name: hello_world\n    language: en_US\n    category: marketing\n    body: Oi {{1}}\n"
    )
    extra = tmp_path / "more.yaml"
    extra.write_text(
        "templates:\n  - {name: lembrete, language: pt_BR, category: utility, body: 'Lembrete {{1}}'}\n"
    )
    reg = TemplateRegistry.load(tmp_path, extra=extra)
    assert reg.get("hello_world", "en_US").category == "marketing"
    assert reg.get("lembrete", "pt_BR").render("body", ["amanhã"]) == "Lembrete amanhã"


@pytest.mark.parametrize(
    "text,what,line",
    [
        (
            "templates:\n  - name: ok\n    category: utility\n    body: x\n  - name: Bad-Name\n    category: utility\n    body: x\n",
            "template #2: name 'Bad-Name' is not valid",
            5,
        ),
        (
            "templates:\n  - name: a\n    category: promo\n    body: x\n",
            "category 'promo' is not one of",
            2,
        ),
        ("templates:\n  - name: a\n    category: utility\n", "needs a body text", 2),
        (
            "templates:\n  - name: a\n    category: utility\n    body: x\n    colour: red\n",
            "unknown key(s) colour",
            2,
        ),
        (
            "templates:\n  - name: a\n    category: utility\n    body: '{{1}} {{nome}}'\n",
            "mixes positional",
            2,
        ),
        (
            "templates:\n  - name: a\n    category: utility\n    status: LIVE\n    body: x\n",
            "status 'LIVE' is not one of",
            2,
        ),
        (
            "templates:\n  - name: a\n    category: utility\n    body: x\n    buttons: [{type: link}]\n",
            "button",
            2,
        ),
    ],
)
def test_errors_name_file_line_and_fix(text, what, line):
    with pytest.raises(ConfigError) as info:
        TemplateRegistry().merge_text(text, source="templates.yaml")
    assert what in info.value.what
    assert info.value.where == f"templates.yaml:{line}" and info.value.fix


def test_syntax_error_and_wrong_shape():
    with pytest.raises(ConfigError) as info:
        TemplateRegistry().merge_text("templates: [\n", source="t.yaml")
    assert info.value.where.startswith("t.yaml:")
    with pytest.raises(ConfigError, match="must be a mapping"):
        TemplateRegistry().merge_text("- a\n- b\n", source="t.yaml")
    with pytest.raises(ConfigError, match="unsupported version"):
        TemplateRegistry().merge_text("version: 2\ntemplates: []\n", source="t.yaml")
