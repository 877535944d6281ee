"""Ruff's lint and format hold for the whole project (configuration in pyproject.toml), and lab/
imports at module level: an import inside a function says why it waits (a comment)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(command: list[str]) -> None:
    proc = subprocess.run(
        [str(RUFF), *command, "lab", "tests", "benchmarks"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]


def unexplained_function_imports(path: Path) -> list[str]:
    """`file:line: statement` of each import inside a function of `path` that no comment explains.

    A comment on the import's line or on the line above explains it; so does one above a run of
    imports (a block under one reason: `# lazy: start-up, ...`, `# cycle: lab.x imports this`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[str] = []

    def commented(node: ast.stmt) -> bool:
        above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
        return above.startswith("#") or any(
            "#" in lines[i] for i in range(node.lineno - 1, node.end_lineno or node.lineno)
        )

    def visit(node: ast.AST, in_function: bool) -> None:
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            explained = False
            for statement in block:
                if isinstance(statement, (ast.Import, ast.ImportFrom)):
                    explained = explained or commented(statement)
                    if in_function and not explained:
                        found.append(f"{path}:{statement.lineno}: {ast.unparse(statement)}")
                    continue
                explained = False
                visit(
                    statement,
                    in_function or isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)),
                )

    visit(ast.parse("\n".join(lines)), False)
    return found


def test_imports_inside_functions_say_why():
    """Module-level imports, unless a comment says which cycle the import breaks or what start-up
    cost it saves (e.g. `# cycle: lab.llm.relay imports this module`, `# lazy: start-up, ...`)."""
    found = [
        line
        for path in sorted((ROOT / "lab").rglob("*.py"))
        for line in unexplained_function_imports(path)
    ]
    assert not found, (
        f"{len(found)} imports inside functions without a reason; move them to the top of the "
        "module, or say why on the line above (# cycle: ... / # lazy: ...):\n" + "\n".join(found)
    )
