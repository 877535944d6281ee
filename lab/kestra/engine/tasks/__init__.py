"""Task types the embedded engine runs. Each module registers its classes in `base.REGISTRY`;
`load_all()` imports every task module that is present (the scripts and AI modules are optional)."""

from __future__ import annotations

import importlib
import importlib.util

MODULES = ("core", "kv", "http", "download", "whatsapp", "scripts", "ai")
_loaded = False


def load_all() -> None:
    """Import every task module once, so their classes are in REGISTRY."""
    global _loaded
    if _loaded:
        return
    for name in MODULES:
        full = f"{__name__}.{name}"
        if importlib.util.find_spec(full) is not None:
            importlib.import_module(full)
    _loaded = True
