"""`walab test [PYTEST ARGS...]`: run the test suite with pytest (tests/ and scenarios/ by default)."""

from __future__ import annotations

import contextlib
import io
import sys

INTRO = (
    "walab test [PYTEST ARGS...]: runs pytest on the project (tests/ and scenarios/ by default); "
    "every pytest option works, plus --walab-llm and --walab-target from the scenarios plugin.\n"
)


def run_argv(argv: list[str]) -> int:
    """Run pytest with argv; the project's pytest config picks the test paths."""
    # lazy: start-up, a command loads this only on the path that needs it
    import pytest

    if not {"-h", "--help"} & set(argv):
        return int(pytest.main(list(argv)))
    # pytest names itself `pytest.main()` when run in-process: show the command the person typed.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = int(pytest.main(list(argv)))
    text = out.getvalue().replace("usage: pytest.main()", "usage: walab test", 1)
    sys.stdout.write(INTRO + "\n" + text)
    sys.stdout.flush()
    return code
