"""`walab send` with a live upstream on loopback: where `--llm record` wrote its recording when no
`--cassette` was given, and a missing key named as such when the upstream wants one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": '{"text": "Olá! Como posso ajudar?"}'},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132},
}


@contextmanager
def upstream(status: int, body: dict) -> Iterator[str]:
    """An OpenAI-compatible server on loopback answering every POST with this status and body."""

    class Answering(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answering)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def send(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WALAB_", "OPENAI_"))}
    return subprocess.run(
        [sys.executable, "-m", "lab", "send", "--flow", "whatsapp_agent", *args, "Oi"],
        cwd=project,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def project(tmp_path: Path) -> Path:
    for name in ("flows", "prompts"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "templates.yaml", tmp_path)
    return tmp_path


def test_record_without_a_cassette_says_where_the_recording_went(tmp_path: Path) -> None:
    home = project(tmp_path)
    with upstream(200, REPLY) as url:
        done = send(
            home, "--llm", "record", OPENAI_BASE_URL=url, OPENAI_API_KEY="sk-test-0123456789abcdef"
        )
    assert done.returncode == 0, done.stdout + done.stderr
    where = Path("scenarios") / "recorded.cassette.yaml"
    assert (home / where).exists()
    assert f"walab send: recorded 1 LLM call(s) into {where}; replay them with " in done.stderr
    assert f"--llm replay --cassette {where}" in done.stderr
    replayed = send(home, "--llm", "replay", "--cassette", str(where))
    assert replayed.returncode == 0 and "Olá! Como posso ajudar?" in replayed.stdout


def test_no_key_set_is_named_as_the_missing_key(tmp_path: Path) -> None:
    refusal = {
        "error": {
            "message": "Authentication Error, No api key passed in.",
            "type": "auth_error",
            "param": "None",
            "code": "401",
        }
    }  # LiteLLM's proxy, whose master key is set
    with upstream(401, refusal) as url:
        done = send(project(tmp_path), "--llm", "live", OPENAI_BASE_URL=url)
    assert done.returncode == 1
    assert (
        f"hint: no model answered: the upstream at {url} wants an API key and OPENAI_API_KEY is not set"
        in done.stdout
    ), done.stdout
    assert "reachable" not in done.stdout
