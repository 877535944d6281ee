"""Exit statuses as the README's table says (2 = a usage or configuration error), the same from
every command: a Kestra that cannot be reached, or that refuses the credentials (QA P2-9)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from .test_cli import walab

UNREACHABLE = "http://127.0.0.1:9"


class _RefusingKestra(BaseHTTPRequestHandler):
    """A Kestra with basic auth on: `/api/v1/configs` answers, everything else is 401."""

    def _answer(self) -> None:
        if self.path.startswith("/api/v1/configs"):
            body, status = (
                json.dumps({"version": "1.3.0", "isBasicAuthInitialized": True}).encode(),
                200,
            )
        else:
            body, status = b'{"message":"Unauthorized"}', 401
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_kestra() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingKestra)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "args",
    [
        ("send", "--kestra", UNREACHABLE, "Oi"),
        ("deploy", "--kestra", UNREACHABLE),
        ("validate", "--kestra", UNREACHABLE),
    ],
)
def test_an_unreachable_kestra_is_a_configuration_error(args: tuple[str, ...]) -> None:
    done = walab(*args)
    assert done.returncode == 2, done.stderr
    assert "cannot reach Kestra" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["validate", "deploy", "send"])
def test_refused_credentials_are_a_configuration_error(command: str, refusing_kestra: str) -> None:
    args = (
        ("send", "--kestra", refusing_kestra, "Oi")
        if command == "send"
        else (command, "--kestra", refusing_kestra)
    )
    done = walab(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "401" in done.stderr and "KESTRA_USER" in done.stderr and "Traceback" not in done.stderr


def test_exit_code_of_errors() -> None:
    from lab.cli import exit_code
    from lab.errors import ConfigError, LabError
    from lab.kestra.errors import KestraAuthError, KestraServerError, KestraUnreachable

    assert exit_code(ConfigError("x")) == 2 and exit_code(LabError("x")) == 1
    assert (
        exit_code(KestraUnreachable("x")) == 2 and exit_code(KestraAuthError("x", status=401)) == 2
    )
    assert exit_code(KestraServerError("x", status=500)) == 1


def test_send_to_an_unreachable_kestra_says_so_before_any_deploy_notice() -> None:
    done = walab("send", "--kestra", UNREACHABLE, "Oi")
    assert (
        done.returncode == 2
        and "cannot reach Kestra" in done.stderr
        and "deploying" not in done.stderr
    )


def test_a_missing_image_is_a_usage_error() -> None:
    done = walab("send", "--image", "nao_existe.jpg", "Oi")
    assert done.returncode == 2, done.stderr
    assert "--image nao_existe.jpg: no such file" in done.stderr and "Traceback" not in done.stderr


def test_send_to_a_real_kestra_says_it_deploys_there_first(refusing_kestra: str) -> None:
    """QA P2-17: the flows of that namespace are replaced; say so before doing it."""
    done = walab("send", "--kestra", refusing_kestra, "Oi")
    notice = done.stderr.splitlines()[0]
    assert notice.startswith("walab send: deploying ") and "/flows/" in notice
    assert (
        f"namespace company.whatsapp on {refusing_kestra}" in notice
        and "as `walab deploy` does" in notice
    )
    helped = walab("send", "--help")
    assert "deployed to its namespace first" in " ".join(helped.stdout.split())
    embedded = walab("send", "Oi")
    assert "deploying" not in embedded.stderr


def test_no_deploy_needs_a_real_kestra_and_silences_the_deploy_notice() -> None:
    embedded = walab("send", "--no-deploy", "Oi")
    assert (
        embedded.returncode == 2
        and "--no-deploy" in embedded.stderr
        and "--kestra URL" in embedded.stderr
    )
    kept = walab("send", "--kestra", UNREACHABLE, "--no-deploy", "Oi")
    assert (
        "deploying" not in kept.stderr and kept.returncode == 2
    )  # still unreachable: a configuration error
