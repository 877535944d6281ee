"""Start-up trims for the headless commands (`walab send` must answer within a second).

httpx imports its own command line (`httpx._main`: click, rich, pygments: ~0.2 s) whenever those
packages are installed, and they are (Textual brings rich). walab never runs httpx's CLI, so the
headless commands register an empty stand-in before httpx is first imported.
"""

from __future__ import annotations

import sys
import types


def skip_httpx_cli() -> None:
    """Keep `import httpx` from importing its command line (no effect once httpx is imported)."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stub = types.ModuleType("httpx._main")
    stub.main = lambda *a, **k: None  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stub
