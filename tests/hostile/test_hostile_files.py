"""A corpus of hostile scenario, cassette, flow and prompt files through the commands people run:
each gets an error that says what is wrong and where (file:line), never walab's "unexpected
error" line, a traceback or a hang; and `walab record` goes on after a line that is not UTF-8."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lab.cli import main

from .conftest import BAD_DATE, DEEP, HUGE_INT, SELF_ALIAS, alias_bomb

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = (
    "version: 1\nflow: company.whatsapp/lead_qualification\nclock: 2026-03-02T09:00:00-03:00\nllm: none\n"
    "steps:\n  - user: oi\n"
)
FLOW = (
    "id: hostile\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
    "    message: hi\n"
)

# (name, bytes appended under a key of an otherwise valid file, or the whole file when it starts with b"!")
BODIES = {
    "alias bomb": alias_bomb().encode(),
    "self alias": SELF_ALIAS.encode(),
    "deep nesting": DEEP.encode(),
    "huge integer": HUGE_INT.encode(),
    "impossible date": BAD_DATE.encode(),
    "python set": b"a: !!set {x}\n",
    "binary tag": b"a: !!binary '@@@'\n",
    "latin-1 byte": "a: café\n".encode("latin-1"),
    "NUL byte": b"a: x\x00y\n",
    "unclosed quote": b'a: "never closed\n',
    "tab indentation": b"a:\n\t- b\n",
    "duplicate anchors": b"a: &x 1\nb: &x 2\nc: *y\n",
    "whole: empty": b"!",
    "whole: a list": b"![1, 2, 3]\n",
    "whole: garbage": b"!\xff\xfe\x00\x01\x02" * 10,
    "whole: many documents": b"!a: 1\n---\nb: 2\n",
    "whole: a scalar": b"!just words\n",
}


def _whole(body: bytes) -> bytes | None:
    return body[1:] if body.startswith(b"!") else None


def _indented(body: bytes) -> bytes:
    return b"extra:\n" + b"".join(b"  " + line + b"\n" for line in body.splitlines())


def _run(capsys, argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def _assert_located(code: int, text: str, path: Path) -> None:
    assert code in (1, 2), text
    assert "unexpected error" not in text and "Traceback" not in text, text
    assert re.search(re.escape(path.name) + r"(:\d+)?", text), text


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    monkeypatch.chdir(tmp_path)
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    return tmp_path


@pytest.mark.parametrize("name", sorted(BODIES))
def test_hostile_scenario_files_get_a_located_error(project, capsys, name):
    body = BODIES[name]
    path = project / "scenarios" / "hostile.yaml"
    path.write_bytes(
        _whole(body)
        if _whole(body) is not None
        else SCENARIO.encode() + _indented(body)
        if b"\t" not in body and b"\x00" not in body
        else SCENARIO.encode() + body
    )
    _assert_located(*_run(capsys, ["replay", str(path)]), path)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_hostile_cassettes_get_a_located_error(project, capsys, name):
    body = BODIES[name]
    scenario = project / "scenarios" / "hostile.yaml"
    scenario.write_text(SCENARIO.replace("llm: none", "llm: {source: cassette}"), encoding="utf-8")
    cassette = scenario.with_name("hostile.cassette.yaml")
    cassette.write_bytes(
        _whole(body) if _whole(body) is not None else b"version: 1\nentries: []\n" + body
    )
    code, text = _run(capsys, ["replay", str(scenario)])
    if name in (
        "whole: empty",
    ):  # an empty cassette is a cassette with no entries: the turn runs without one
        assert "unexpected error" not in text
        return
    _assert_located(code, text, cassette)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_hostile_flow_files_get_a_located_error(project, capsys, name):
    body = BODIES[name]
    path = project / "hostile.yml"
    path.write_bytes(
        _whole(body)
        if _whole(body) is not None
        else FLOW.encode()
        + b"variables:\n"
        + b"".join(b"  " + line + b"\n" for line in body.splitlines())
    )
    _assert_located(*_run(capsys, ["validate", str(path)]), path)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_hostile_prompt_headers_get_a_located_error(project, capsys, name):
    body = BODIES[name]
    (project / "prompts").unlink()
    (project / "prompts").mkdir()
    path = project / "prompts" / "lead_qualification.hostile.md"
    header = (
        _whole(body) if _whole(body) is not None else b"id: lead_qualification.hostile\n" + body
    )
    path.write_bytes(
        b"---\n" + header + (b"\n" if not header.endswith(b"\n") else b"") + b"---\nOl\xc3\xa1\n"
    )
    code, text = _run(capsys, ["prompts"])
    if name in ("whole: empty",):
        assert "unexpected error" not in text
        return
    _assert_located(code, text, path)


def test_walab_record_goes_on_after_a_latin1_line(project):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab",
            "record",
            "latin",
            "--llm",
            "scripted",
            "--clock",
            "2026-03-02T12:00:00+00:00",
        ],
        input=b"caf\xe9\nOi\n/quit\n",
        capture_output=True,
        cwd=project,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, out
    assert "not UTF-8 text (byte 0xe9 at column 4)" in out and "unexpected error" not in out
    assert "saved" in out and "(1 step)" in out
