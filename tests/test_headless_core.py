"""The headless core never imports Textual (house style rule 1), and each of its leaf modules
imports on its own in a fresh interpreter (an import that works only after another module was
imported first is a hidden cycle)."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grimp

ROOT = Path(__file__).parents[1]
CHECK = """
import importlib, sys
importlib.import_module(sys.argv[1])
bad = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual.") or m.startswith("lab.tui"))
print(" ".join(bad[:5]))
sys.exit(1 if bad else 0)
"""


def headless_modules() -> list[str]:
    """The leaf modules of lab/ outside lab/tui: those no other module imports (the commands, the
    plugins, the engine's task modules...); importing them loads the rest of the core too."""
    graph = grimp.build_graph("lab")
    return sorted(
        m
        for m in graph.modules
        if not m.startswith("lab.tui")
        and m != "lab.__main__"
        and not graph.find_modules_that_directly_import(m)
    )


def _import_alone(module: str) -> tuple[str, int, str]:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, module], capture_output=True, text=True, cwd=ROOT
    )
    return module, proc.returncode, (proc.stdout + proc.stderr).strip()[-400:]


def test_each_headless_module_imports_alone_without_textual():
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_import_alone, headless_modules()))
    failed = [f"{module}: {said}" for module, code, said in results if code != 0]
    assert not failed, "\n".join(failed)


def test_the_import_contracts_hold():
    """`lint-imports` (contracts in pyproject.toml): layered packages, no TUI or Textual in the core."""
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
