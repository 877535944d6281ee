"""LiteLLM's proxy (a real OpenAI-compatible server nobody on the team wrote) on loopback, for tests.

`litellm[proxy]` pins `rich==13.7.1`, which Textual 8.2 cannot run with, so it cannot share the
project's `.venv`: it is installed once, pinned, into its own virtualenv in a cache folder outside
the repository (`WALAB_TEST_SERVERS_DIR`, default `~/.cache/walab-test-servers`), with the uv the
project's `./walab` installs (about 3 s from uv's cache, 102 packages). The proxy answers from
`mock_response` models and from a stub upstream on loopback; its model-price map is the one its
package ships (`LITELLM_LOCAL_MODEL_COST_MAP`), so it opens no connection beyond loopback.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx

from lab import yamlio

PACKAGE = "litellm[proxy]==1.81.16"
MASTER_KEY = "sk-litellm-master-0123456789abcdef"
PR_SET_PDEATHSIG = 1  # prctl(2)
STARTUP_S = 180.0  # importing litellm takes 10-40 s on a busy 2-core machine


class Unavailable(Exception):
    """The proxy could not be installed or started here: the reason, for a skip."""


def _folder() -> Path:
    base = os.environ.get("WALAB_TEST_SERVERS_DIR") or Path.home() / ".cache" / "walab-test-servers"
    return Path(base) / PACKAGE.replace("[proxy]==", "-proxy-")


def installed() -> Path:
    """The proxy's `litellm` command, installed first if it is not (once, under a lock)."""
    folder = _folder()
    command = folder / "bin" / "litellm"
    stamp = folder / ".walab-installed"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers: one installs, the others wait
        if stamp.exists() and stamp.read_text() == PACKAGE and command.exists():
            return command
        shutil.rmtree(folder, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "uv", "venv", "-q", "--python", sys.executable, str(folder)],
            [
                sys.executable,
                "-m",
                "uv",
                "pip",
                "install",
                "-q",
                "--python",
                str(folder / "bin" / "python"),
                PACKAGE,
            ],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                shutil.rmtree(folder, ignore_errors=True)
                raise Unavailable(
                    f"could not install {PACKAGE} into {folder}: {done.stderr.strip()[-500:]}"
                )
        stamp.write_text(PACKAGE)
    return command


def config(backend_url: str) -> dict[str, Any]:
    """Models as a team's proxy config names them: aliases over mocked replies, and one model
    forwarded to a stub upstream (`backend_url`) that answers in the shapes the tests steer."""

    def mocked(name: str, **params: Any) -> dict[str, Any]:
        return {
            "model_name": name,
            "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "mock", **params},
        }

    return {
        "model_list": [
            mocked("team-chat", mock_response="Olá! Sou a Sol, da Solar Sul."),
            mocked(
                "gpt-4o-mini",
                mock_response='{"text": "Olá! Sou a Sol, da Solar Sul. Como posso ajudar?"}',
            ),
            mocked("rate-limited", mock_response="litellm.RateLimitError"),
            mocked(
                "tooly",
                mock_tool_calls=[
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "buscar_plano", "arguments": '{"plano": "basico"}'},
                    }
                ],
            ),
            {
                "model_name": "team-embed",
                "litellm_params": {
                    "model": "openai/text-embedding-3-small",
                    "api_key": "mock",
                    "mock_response": [0.1, 0.2],
                },
            },
            {
                "model_name": "forwarded",
                "litellm_params": {
                    "model": "openai/gpt-4o-mini",
                    "api_key": "stub",
                    "api_base": backend_url,
                },
            },
        ],
        "general_settings": {"master_key": MASTER_KEY},
        "litellm_settings": {"telemetry": False, "num_retries": 0},
    }


@contextmanager
def running(folder: Path, backend_url: str) -> Iterator[str]:
    """The proxy on 127.0.0.1 and a free port, with `config(backend_url)`; yields its `/v1` URL."""
    command = installed()
    path = folder / "litellm.yaml"
    path.write_text(yamlio.dumps(config(backend_url)), encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "LITELLM_", "DATABASE_"))
    }
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR", NO_COLOR="1")
    log = open(folder / "litellm.log", "w")  # noqa: SIM115 - closed after the process
    proc = subprocess.Popen(
        [str(command), "--config", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=folder,
        preexec_fn=_die_with_parent,
    )
    try:
        _wait_ready(proc, port, folder / "litellm.log")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def _die_with_parent() -> None:
    """In the proxy's process before it starts: end it when the test process ends, also when that
    one is killed (an interrupted pytest-xdist worker runs no teardown)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_ready(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"LiteLLM's proxy exited with {proc.returncode}: {log.read_text()[-2000:]}"
            )
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=2).status_code
                == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"LiteLLM's proxy did not answer within {STARTUP_S:g} s: {log.read_text()[-2000:]}"
    )
