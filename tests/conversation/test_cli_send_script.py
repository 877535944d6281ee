"""`walab send`: scripted replies from a file (QA P2-8), and what a refused upstream key says (QA P2-10)."""

from __future__ import annotations

from pathlib import Path

from .test_cli import walab


def test_send_answers_the_model_from_a_script_file(tmp_path: Path) -> None:
    script = tmp_path / "replies.yaml"
    script.write_text('- {match: ".*", json: {text: "Olá do script"}}\n', encoding="utf-8")
    done = walab("send", "--flow", "whatsapp_agent", "--script", str(script), "Oi")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LLM scripted" in done.stdout and "< Olá do script" in done.stdout


def test_send_script_conflicts_and_missing_files_are_usage_errors(tmp_path: Path) -> None:
    script = tmp_path / "replies.yaml"
    script.write_text("- Olá\n", encoding="utf-8")
    clash = walab("send", "--llm", "live", "--script", str(script), "Oi")
    assert clash.returncode == 2 and "--script implies --llm scripted" in clash.stderr
    missing = walab("send", "--script", str(tmp_path / "none.yaml"), "Oi")
    assert missing.returncode == 2 and "no scripted-replies file" in missing.stderr


def test_the_hints_suggest_a_script_file_and_help_says_what_scripted_is(tmp_path: Path) -> None:
    miss = walab(
        "send",
        "--flow",
        "whatsapp_agent",
        "--cassette",
        str(tmp_path / "empty.cassette.yaml"),
        "Oi",
    )
    assert "--script FILE" in miss.stdout and "`llm: scripted:`" in miss.stdout
    bare = walab("send", "--flow", "whatsapp_agent", "--llm", "scripted", "Oi")
    assert bare.returncode == 1 and "give replies with --script FILE" in bare.stdout
    helped = walab("send", "--help")
    assert "--script FILE" in helped.stdout and "scripted answers from --script FILE" in " ".join(
        helped.stdout.split()
    )


def test_send_says_a_refused_key_is_a_401_and_why_there_are_retries() -> None:
    """QA P2-10: an upstream on loopback refuses the key, in its own words (not OpenAI's shape)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []

    class Refusing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hits.append(self.path)
            body = b'{"message":"Unauthorized"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        done = walab(
            "send",
            "--flow",
            "whatsapp_agent",
            "--llm",
            "live",
            "Oi",
            OPENAI_API_KEY="sk-wrong-0123456789abcdef",
            OPENAI_BASE_URL=url,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1
    assert f"401 Unauthorized from the upstream LLM at {url}: it refused the API key" in done.stdout
    assert "hint: the upstream refused the API key (401): fix OPENAI_API_KEY" in done.stdout
    assert "the flow's `retry:`" in done.stdout and len(hits) == 1
