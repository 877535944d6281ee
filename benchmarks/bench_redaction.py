"""Redaction throughput on recorded conversations (target >= 5 MB/s).

The corpus is the bundled scenarios and cassettes (what `walab record` writes), loaded as data,
plus the same conversations with pt-BR personal data typed into every user message (CPF, CNPJ,
phones as people write them, e-mails, names with accents, CEP, addresses, cards), so the
redactor meets both plain text and text full of matches. MB/s counts the JSON size of the data
redacted. Baseline in the same run: the secret scrubber every cassette already goes through
(`lab.llm.scrub.Scrubber.data`). Each round builds a fresh Redactor (no cache carried over).
Writes benchmarks/results/redaction.md.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import yamlio  # noqa: E402
from lab.llm.scrub import Scrubber  # noqa: E402
from lab.redaction import RedactionPolicy, Redactor  # noqa: E402

PERSONAL = (
    "Sou {name}, CPF 529.982.247-25, celular (11) 98765-4321 ou 11 9{n:04d}-{n:04d}, "
    "e-mail {login}@gmail.com, moro na Rua das Flores, {n}, CEP 01310-100; cartão 4111 1111 1111 1111; "
    "empresa 11.222.333/0001-81. "
)
NAMES = ["João Conceição", "Márcia Ávila", "José Araújo", "Ana Lúcia Brandão"]


def corpus() -> list:
    docs = [
        yamlio.load(p)
        for p in sorted((ROOT / "scenarios").rglob("*.yaml"))
        if "__snapshots__" not in p.parts
    ]
    return docs


def with_personal_data(value, counter=[0]):  # noqa: B006 - a running number for distinct values
    if isinstance(value, dict):
        return {
            k: (
                PERSONAL.format(
                    name=NAMES[counter[0] % 4],
                    n=1000 + (counter.__setitem__(0, counter[0] + 1) or counter[0]) % 9000,
                    login=f"cliente{counter[0]}",
                )
                + v
                if k in ("user", "content", "last_user") and isinstance(v, str)
                else with_personal_data(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [with_personal_data(v) for v in value]
    return value


def throughput(fn, data: list, size: int, rounds: int = 7) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn(data)
        best = min(best, time.perf_counter() - start)
    return size / best / 1e6


def main() -> None:
    plain = corpus() * 20
    personal = [with_personal_data(d) for d in corpus()] * 20
    policy = RedactionPolicy(names=tuple(NAMES))
    rows = []
    for label, data in (
        ("recorded conversations as bundled", plain),
        ("same, personal data in every user line", personal),
    ):
        size = sum(len(orjson.dumps(d)) for d in data)
        redact = throughput(lambda ds: [Redactor(policy).data(d) for d in ds], data, size)
        scrub = throughput(
            lambda ds: [Scrubber(["walab-0123456789abcdefgh"]).data(d) for d in ds], data, size
        )
        found = Redactor(policy)
        for d in data:
            found.data(d)
        rows.append((label, size, redact, scrub, sum(found.found.values())))
    lines = [
        "## Redaction throughput (bench_redaction.py)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}. Command: `.venv/bin/python benchmarks/bench_redaction.py`.",
        "",
        "| corpus | JSON size | Redactor.data | Scrubber.data (baseline, same run) | values replaced |",
        "|---|---|---|---|---|",
    ]
    for label, size, redact, scrub, found in rows:
        lines.append(
            f"| {label} | {size / 1e6:.2f} MB | {redact:.1f} MB/s | {scrub:.1f} MB/s | {found:,} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "redaction.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
