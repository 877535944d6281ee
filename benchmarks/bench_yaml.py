"""Bounded YAML reading: what the limits cost on the files the lab reads on its hot paths.

Every flow deploy and listing, cassette load and scenario load goes through `lab.yamlio.parse`
(libyaml's C parser, then the limit checks, then the safe constructor). Baselines measured in the
same run: plain `yaml.load` with the C safe loader (no limits: the floor) and PyYAML's pure-Python
`yaml.safe_load` (what the flows API's listing used before). Writes benchmarks/results/yaml.md.
"""

from __future__ import annotations

import os
import platform
import sys
import timeit
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import yamlio  # noqa: E402

FILES = [
    *sorted((ROOT / "flows").glob("*.yml")),
    *sorted((ROOT / "scenarios").rglob("*.cassette.yaml"))[:3],
    *[
        p
        for p in sorted((ROOT / "scenarios").rglob("*.yaml"))
        if "__snapshots__" not in p.parts and not p.name.endswith(".cassette.yaml")
    ][:2],
]
LOAD = os.getloadavg()[0]


def per_call_ms(fn, number: int = 40, repeat: int = 9) -> float:
    return (
        min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e3
    )  # least disturbed run


def paired_ms(base, other, number: int = 40, repeat: int = 15) -> tuple[float, float]:
    """Best per-call times of two functions timed in alternation (a busy machine slows both alike)."""
    a, b = [], []
    for _ in range(repeat):
        a.append(timeit.timeit(base, number=number))
        b.append(timeit.timeit(other, number=number))
    return min(a) / number * 1e3, min(b) / number * 1e3


def main() -> int:
    rows = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        assert yamlio.parse(text) == yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - safe loader
        plain, bounded = paired_ms(
            lambda t=text: yaml.load(t, Loader=yaml.CSafeLoader),  # noqa: S506 - safe loader
            lambda t=text: yamlio.parse(t),
        )
        try:  # PyYAML's Python parser refuses some plain scalars libyaml reads (`?` in a flow list)
            python: float | None = per_call_ms(
                lambda t=text: yaml.safe_load(t), number=10, repeat=3
            )
        except yaml.YAMLError:
            python = None
        rows.append((path.relative_to(ROOT), len(text), "&" in text, plain, bounded, python))
    bomb = (
        "l0: &l0 ["
        + ", ".join(["lol"] * 10)
        + "]\n"
        + "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 10))
    )
    refuse_ms = per_call_ms(lambda: _refused(bomb), number=200)
    lines = [
        "# Bounded YAML reading (lab/yamlio.py)",
        "",
        "Command: `.venv/bin/python benchmarks/bench_yaml.py`  ",
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, 2 cores "
        f"(single-threaded benchmark); best of 15 alternating repeats; load average at start {LOAD:.1f} (other processes "
        "share the cores: compare the ratios, measured in the same run).",
        "",
        "*plain C* = `yaml.load(text, Loader=yaml.CSafeLoader)`, no limits (the floor); *bounded* = "
        "`yamlio.parse` (C parser, limit checks, safe constructor); *pure Python* = `yaml.safe_load`. "
        "A file holding `&` (an anchor) has its alias expansion measured; the others only their depth.",
        "",
        "| file | bytes | anchors | plain C (ms) | bounded (ms) | bounded / plain | pure Python (ms) |",
        "|---|---:|:---:|---:|---:|---:|---:|",
    ]
    for name, size, anchors, plain, bounded, python in rows:
        lines.append(
            f"| {name} | {size} | {'yes' if anchors else 'no'} | {plain:.2f} | {bounded:.2f} | "
            f"{bounded / plain:.2f} | {'refused' if python is None else f'{python:.2f}'} |"
        )
    lines += [
        "",
        f"A {len(bomb)}-byte alias bomb (10^9 strings once expanded) is refused in **{refuse_ms:.3f} ms**.",
    ]
    text = "\n".join(lines) + "\n"
    out = Path(__file__).resolve().parent / "results" / "yaml.md"
    out.write_text(text)
    print(text)
    return 0


def _refused(bomb: str) -> None:
    try:
        yamlio.parse(bomb)
    except yamlio.YamlLimitExceeded:
        return
    raise AssertionError("the bomb was not refused")


if __name__ == "__main__":
    sys.exit(main())
