"""The headless core never imports Textual (house style rule 1)."""

import subprocess
import sys

HEADLESS = ["lab", "lab.cli", "lab.config", "lab.server", "lab.whatsapp", "lab.kestra", "lab.llm",
            "lab.conversation", "lab.scenarios", "lab.scenarios.pytest_plugin", "lab.promptlab", "lab.load.cli"]


def test_headless_modules_do_not_import_textual():
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in HEADLESS) + \
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\nprint(bad)\nsys.exit(1 if bad else 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
