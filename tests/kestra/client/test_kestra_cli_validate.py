"""`walab validate`: embedded engine and a (loopback stand-in of a) real Kestra."""

from __future__ import annotations

from pathlib import Path

from kestra_fixture_app import PASSWORD, USER

from lab.cli import main

FLOWS = Path(__file__).resolve().parent / "flows"
UNKNOWN = "io.kestra.plugin.core.debug.UnknownTask"


def unsupported_core_type() -> str:
    """A class of Kestra's core plugin the embedded engine does not run (the set shrinks as it grows)."""
    from lab.kestra.engine import known_types
    from lab.kestra.engine.tasks import load_all
    from lab.kestra.engine.tasks.base import REGISTRY
    from lab.kestra.engine.validation import FLOWABLE_PROPS

    load_all()
    preferred = ["io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles"]
    candidates = preferred + sorted(known_types.CORE_TYPES)
    return next(
        t
        for t in candidates
        if t in known_types.CORE_TYPES
        and t not in REGISTRY
        and t not in FLOWABLE_PROPS
        and ".trigger." not in t
        and ".condition." not in t
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_folder_exits_0(capsys):
    assert main(["validate", str(FLOWS)]) == 0
    captured = capsys.readouterr()
    assert (
        captured.out == ""
        and "4 flow file(s) checked with the embedded engine (Kestra 1.3): all valid"
        in captured.err
    )


def test_unknown_and_unsupported_types_are_told_apart_with_file_and_line(tmp_path, capsys):
    write(
        tmp_path,
        "bad.yml",
        (FLOWS / "boom.yml").read_text().replace("io.kestra.plugin.core.execution.Fail", UNKNOWN),
    )
    write(
        tmp_path,
        "pause.yml",
        "id: pause\nnamespace: company.team\ntasks:\n  - id: wait\n"
        f"    type: {unsupported_core_type()}\n",
    )
    write(tmp_path, "ok.yaml", (FLOWS / "hello.yml").read_text())
    (tmp_path / "files").mkdir()
    write(tmp_path / "files", "data.yml", "not: a flow\n")  # namespace files are not flows
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'bad.yml'}:5: [unknown type]" in out and UNKNOWN in out
    # a runnable task Kestra has and the engine does not run: valid, stood in by a fixture
    assert f"{tmp_path / 'pause.yml'}:5: [needs a fixture]" in out and "runs on real Kestra" in out
    assert "hint:" in out and "ok.yaml" not in out and "data.yml" not in out


def test_a_flowable_kestra_has_and_the_engine_lacks_is_unsupported(tmp_path, capsys):
    write(
        tmp_path,
        "dag.yml",
        "id: dag\nnamespace: company.team\ntasks:\n  - id: d\n"
        "    type: io.kestra.plugin.core.flow.Dag\n    tasks: []\n",
    )
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'dag.yml'}:5: [unsupported]" in out and "real Kestra" in out


def test_yaml_syntax_error_names_the_line(tmp_path, capsys):
    path = write(
        tmp_path, "broken.yml", "id: x\nnamespace: company.team\ntasks:\n  - id: a\n   type: [\n"
    )
    assert main(["validate", str(path)]) == 1
    assert f"{path}:" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["validate", str(tmp_path)]) == 2  # a folder without flows
    assert "no flow files" in capsys.readouterr().err


def test_against_a_real_kestra_uses_its_validate_endpoint(tmp_path, capsys, fixture_servers):
    broken = (
        (FLOWS / "boom.yml")
        .read_text()
        .replace("id: boom", "id: broken")
        .replace("io.kestra.plugin.core.execution.Fail", UNKNOWN)
    )
    path = write(tmp_path, "two.yml", (FLOWS / "hello.yml").read_text() + "---\n" + broken)
    code = main(
        [
            "validate",
            str(path),
            "--kestra",
            fixture_servers["1.3"],
            "--user",
            USER,
            "--password",
            PASSWORD,
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    hello_lines = len((FLOWS / "hello.yml").read_text().splitlines())
    assert (
        f"{path}:{hello_lines + 1 + 4}: [unknown type] tasks[0]: Invalid type: {UNKNOWN}"
        in captured.out
    )
    assert f"with Kestra at {fixture_servers['1.3']}" in captured.err


def test_real_kestra_without_credentials_says_how_to_set_them(
    tmp_path, capsys, fixture_servers, monkeypatch
):
    monkeypatch.delenv("KESTRA_USER", raising=False)
    monkeypatch.delenv("KESTRA_PASSWORD", raising=False)
    assert (
        main(["validate", str(FLOWS / "hello.yml"), "--kestra", fixture_servers["2.0"]]) == 2
    )  # credentials: a config error
    err = capsys.readouterr().err
    assert "401" in err and "KESTRA_USER" in err


def test_unreachable_kestra_is_a_usage_error(capsys):
    from conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    assert main(["validate", str(FLOWS / "hello.yml"), "--kestra", url]) == 2
    assert f"is Kestra running at {url}?" in capsys.readouterr().err


def test_kestra_2_0_flags_what_2_0_removed(tmp_path, capsys):
    path = write(
        tmp_path,
        "each.yml",
        "id: each\nnamespace: company.team\ntasks:\n  - id: loop\n"
        "    type: io.kestra.plugin.core.flow.ForEach\n    values: [1, 2]\n    tasks:\n"
        "      - id: log\n        type: io.kestra.plugin.core.log.Log\n"
        "        message: '{{ taskrun.value }}'\n",
    )
    assert main(["validate", str(path)]) == 0
    capsys.readouterr()
    assert main(["validate", str(path), "--kestra-version", "2.0"]) == 1
    out = capsys.readouterr().out
    assert f"{path}:5: [removed]" in out and "ForEach" in out and "Loop" in out
