"""Listening beyond loopback needs credentials the user chose, and says what it exposes; a served
lab tells its user where the credentials are without printing them."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, free_port

CHOSEN = {
    "KESTRA_USER": "admin@kestra.io",
    "KESTRA_PASSWORD": "Chosen-Passw0rd-for-the-lab",
    "WALAB_ACCESS_TOKEN": "EAAWchosen-access-token-0123456789",
    "WALAB_GATEWAY_KEY": "walab-chosen-gateway-key-0123",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("flows", "prompts"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "templates.yaml", tmp_path / "templates.yaml")
    return tmp_path


def walab(project: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WALAB_", "OPENAI_", "KESTRA_"))
    }
    env.update(PYTHONPATH=str(ROOT), **extra_env)
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_binding_beyond_loopback_without_chosen_credentials_is_a_usage_error(project: Path):
    done = walab(
        project,
        "send",
        "--serve",
        "Oi",
        WALAB_HOST="0.0.0.0",
        WALAB_PORT=str(free_port()),
        KESTRA_USER="admin@kestra.io",
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "listening on 0.0.0.0 puts the lab on the network" in done.stderr
    for var in ("KESTRA_PASSWORD", "WALAB_ACCESS_TOKEN", "WALAB_GATEWAY_KEY"):
        assert var in done.stderr
    assert "KESTRA_USER (" not in done.stderr  # given: not asked for
    assert "Traceback" not in done.stderr


def test_binding_beyond_loopback_with_chosen_credentials_says_what_is_exposed(project: Path):
    done = walab(
        project,
        "send",
        "--serve",
        "Oi",
        WALAB_HOST="0.0.0.0",
        WALAB_PORT=str(free_port()),
        **CHOSEN,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "listens on the network at http://0.0.0.0:" in done.stderr
    for path in ("/api/v1", "/graph", "/llm", "/files", "/hooks/whatsapp"):
        assert path in done.stderr
    assert "basic auth admin@kestra.io / the password in KESTRA_PASSWORD" in done.stderr
    for value in CHOSEN.values():
        if value != CHOSEN["KESTRA_USER"]:
            assert value not in done.stdout + done.stderr
    assert not (project / ".walab" / "lab.env").exists()  # nothing was generated


def test_send_serve_on_loopback_says_where_the_generated_credentials_are(project: Path):
    done = walab(project, "send", "--serve", "Oi", WALAB_PORT=str(free_port()))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "listens on loopback" in done.stderr
    assert "the password generated for this session, in .walab/lab.env" in done.stderr
    env_file = project / ".walab" / "lab.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    assert set(values) == {
        "KESTRA_USER",
        "KESTRA_PASSWORD",
        "WALAB_ACCESS_TOKEN",
        "WALAB_GATEWAY_KEY",
    }
    for name, value in values.items():
        if name != "KESTRA_USER":
            assert value not in done.stdout + done.stderr


def test_the_two_readme_commands_work_unchanged_for_a_local_user():
    """`./walab` (the chat) opens the lab in-process, `walab send` stands for it here; `./walab test`
    is this suite. Neither asks for a credential on loopback."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WALAB_", "OPENAI_", "KESTRA_"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "lab", "send", "Oi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "credential" not in done.stderr.lower()
