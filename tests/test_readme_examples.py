"""Every command the README shows runs as written (issue 15: "the README's examples run as written on
a fresh clone").

The README's shell examples (```bash fences and indented blocks) are parsed into their `./walab …`
lines, a block's lines run in order, offline (no OPENAI_* or WALAB_* variables, no network beyond
loopback), each block in its own copy of the project, since examples write files (scenarios,
snapshots, `out/`). `./walab` is run as the script runs it once `.venv` exists: `walab ARGS` on
this interpreter (`python -m lab`). A command exits 0 unless `OUTCOMES` says what the README
documents for it offline; a long-running one runs with the smoke options in `SMOKE`; the rest are in
`SKIPPED`, each with why. A README command in none of them runs with exit 0 expected, and an entry
matching no README command fails: the README and these lists cannot drift apart.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# What an example may read or write: the project's files, never the code (run from the install).
PROJECT_FILES = ("flows", "prompts", "scenarios", "personas", "templates.yaml", "pyproject.toml")
KESTRA_SUITES = Path("tests") / "kestra_tests"
TIMEOUT_S = 240

# Commands that cannot run here, as the README writes them (comments dropped), and why.
SKIPPED = {
    # The chat TUI wants a terminal and a person; tests/tui drive it with Textual's Pilot.
    "./walab": "the chat TUI (interactive); tests/tui drive it with Pilot",
    # The whole suite: this test is part of it.
    "./walab test": "the whole suite, which holds this test",
    # The chat TUI against a real Kestra: it opens, and says in its error panel that Kestra cannot
    # be reached (F10 opens the session again); interactive.
    "./walab chat --kestra http://localhost:8080": "the chat TUI (interactive) on a real Kestra",
    # Several machines and a Kestra on another host (kestra-host, lab-host: not resolvable here).
    "./walab load --kestra http://kestra-host:8080 --master --expect-workers 4 --users 2000 "
    "--spawn-rate 50 --duration 10m --scenario scenarios/lead_qualification/qualify.yaml": (
        "a Locust master for workers on other hosts, with a Kestra there"
    ),
    "./walab load --worker --master-host lab-host --lab http://lab-host:8765 --processes 4": (
        "a Locust worker of a master on another host"
    ),
    # The manual check of a real Kestra restarting under load (docker compose restart).
    "./walab load --kestra http://localhost:8080 --users 50 --duration 3m --turn-timeout 60s "
    "--grace 60s &": "a manual check with a real Kestra in Docker",
    # Production executions read from a Kestra on the network.
    "./walab import --kestra https://kestra.example.com --execution 4QjCuH1pG5B2k3Nn7xY9aZ": (
        "a production Kestra on the network"
    ),
    "./walab import --kestra https://kestra.example.com --flow company.whatsapp/whatsapp_agent "
    "--since 2d --label team=vendas --state FAILED": "a production Kestra on the network",
    # Kestra Enterprise's /tests API on a remote host.
    "KESTRA_USER=… KESTRA_PASSWORD=… ./walab kestra-test --kestra https://kestra.example": (
        "a Kestra Enterprise on the network"
    ),
}

# Long-running commands run as written plus options that keep them short (argparse: the last
# occurrence of an option wins), on a free port. A 3-second load run on a busy machine may end with
# a turn still out (exit 1, "a failed check", counted in its report): either exit shows that the
# command as written starts, plays its scenarios and reports.
SMOKE = {
    "./walab load": ["--duration", "3s", "--grace", "5s", "--progress", "0"],
}
SMOKE_EXITS = (0, 1)

# What the README documents offline, where it is not exit 0: (exit status, a text in the output).
OUTCOMES = {
    # "Exit status: ... 2 ... a Kestra that cannot be reached"; nothing listens on 8080 here.
    "./walab validate --kestra http://localhost:8080": (2, "http://localhost:8080"),
    # The concise variant fails greeting_plans' text check (written for the default variant's
    # greeting): exit 1, as any failed check, and the failure shown under its cell.
    "./walab compare scenarios/whatsapp_agent": (1, "↳ step 1, turn 1 (line 16): reply 1 text"),
    # A model plays and records: without OPENAI_API_KEY it says so and exits 2, as the README says.
    "./walab simulate dona_cida_modelo --variants": (2, "OPENAI_API_KEY"),
}

# What a person types into an interactive example (stdin).
TYPED = {
    "./walab record plans": "Oi\n/quit\n",
}


@dataclass(frozen=True)
class Block:
    """One example block of the README: its commands in order and the line it starts on."""

    line: int
    commands: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"README.md:{self.line}"


def _commands(body: str) -> list[str]:
    """The `./walab` lines of a shell block, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", body)
    out = []
    for line in joined.splitlines():
        command = re.split(r"\s+#\s", line.strip(), maxsplit=1)[0].strip()
        if "./walab" in command.split("#")[0]:
            out.append(" ".join(command.split()))
    return out


def readme_blocks() -> list[Block]:
    """The README's shell examples: ```bash (sh, shell, console) fences and indented blocks."""
    blocks = []
    fence = re.compile(r"^```(bash|sh|shell|console)\n(.*?)^```", re.M | re.S)
    for m in fence.finditer(README):
        commands = _commands(m.group(2))
        if commands:
            blocks.append(Block(README.count("\n", 0, m.start()) + 1, tuple(commands)))
    outside = fence.sub(lambda m: "\n" * m.group(0).count("\n"), README)
    outside = re.sub(
        r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), outside, flags=re.M | re.S
    )
    for m in re.finditer(r"(?:^\n)((?:^    \S.*\n(?:^    .*\n)*))", outside, re.M):
        body = "\n".join(line[4:] for line in m.group(1).splitlines())
        commands = _commands(body)
        if commands:
            blocks.append(Block(outside.count("\n", 0, m.start(1)) + 1, tuple(commands)))
    return sorted(blocks, key=lambda b: b.line)


def readme_files() -> dict[str, str]:
    """Files the README writes out for its examples: a fenced block whose first line is `# NAME`."""
    files = {}
    for m in re.finditer(r"^```\w*\n# ([\w.-]+\.ya?ml)\n(.*?)^```", README, re.M | re.S):
        files[m.group(1)] = m.group(2)
    return files


def _entry(table: dict, command: str):
    """The entry whose key is the command or starts it at a word boundary (longest first)."""
    for key in sorted(table, key=len, reverse=True):
        if command == key or command.startswith(key + " "):
            return table[key]
    return None


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, project / name)
    shutil.copytree(ROOT / KESTRA_SUITES, project / KESTRA_SUITES)
    for name, text in readme_files().items():
        (project / name).write_text(text, encoding="utf-8")
    return project


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _argv(command: str) -> tuple[dict[str, str], list[str]]:
    """Environment assignments and the argv of `./walab …` as the script runs it (globs expanded
    by a shell, as a person's shell would)."""
    words = shlex.split(command.rstrip("&").strip())
    env = {}
    while words and "=" in words[0] and not words[0].startswith("./"):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    assert words[0] == "./walab", command
    return env, words[1:]


def run_example(command: str, project: Path) -> subprocess.CompletedProcess:
    assigned, args = _argv(command)
    smoke = _entry(SMOKE, command)
    if smoke is not None:
        args = [*args, *smoke, "--port", str(_free_port())]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALAB_", "OPENAI_"))}
    env.update(assigned)
    return subprocess.run(
        [sys.executable, "-m", "lab", *_globbed(args, project)],
        cwd=project,
        env=env,
        input=_entry(TYPED, command) or "",
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def _globbed(args: list[str], project: Path) -> list[str]:
    """The arguments as a person's shell passes them: a glob that matches becomes its files."""
    out = []
    for arg in args:
        matches = sorted(glob.glob(arg, root_dir=project)) if glob.has_magic(arg) else []
        out.extend(matches or [arg])
    return out


BLOCKS = readme_blocks()


def test_the_readme_has_its_examples_and_every_list_entry_is_one_of_them() -> None:
    commands = [c for b in BLOCKS for c in b.commands]
    assert len(commands) >= 20, commands
    stale = [k for k in SKIPPED if k not in commands]
    for table in (SMOKE, OUTCOMES, TYPED):
        stale += [k for k in table if not any(c == k or c.startswith(k + " ") for c in commands)]
    assert stale == [], f"no README command is {stale}: update the lists"


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_a_readme_example_runs_as_written(block: Block, tmp_path: Path) -> None:
    project = _project_copy(tmp_path)
    ran = 0
    for command in block.commands:
        if command in SKIPPED:
            continue
        expected, said = _entry(OUTCOMES, command) or (0, "")
        if "localhost:8080" in command and _listening(8080):
            continue  # something answers on 8080 here: the offline outcome cannot be shown
        done = run_example(command, project)
        ran += 1
        output = done.stdout + done.stderr
        exits = SMOKE_EXITS if _entry(SMOKE, command) is not None else (expected,)
        assert done.returncode in exits, f"{block.id}: {command}\n{output[-3000:]}"
        assert said in output, f"{block.id}: {command}\n{output[-3000:]}"
        assert "Traceback" not in done.stderr, f"{block.id}: {command}\n{done.stderr[-3000:]}"
    if ran == 0:
        pytest.skip("every command of this block is in SKIPPED: " + "; ".join(block.commands))
