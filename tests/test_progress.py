"""The batch progress bar `walab compare` and `walab simulate` draw: printed lines, or one redrawn line."""

from __future__ import annotations

import io

from lab.progress import ProgressBar


def test_printed_lines_count_time_and_cost() -> None:
    out = io.StringIO()
    bar = ProgressBar(4, out, live=False, width=8)
    bar.advance("dona_cida run 1: ok", cost_usd=0.0015)
    bar.advance("carlos run 1: FAILED", ok=False, cost_usd=None)
    bar.close()
    first, second = out.getvalue().splitlines()
    assert first.startswith("[1/4] ##...... ") and first.endswith(
        "$0.001500 so far · dona_cida run 1: ok"
    )
    assert second.startswith("[2/4] ####.... ") and "$0.001500 so far" in second
    assert " s · " in first


def test_on_a_terminal_it_redraws_in_place_and_keeps_failures_above() -> None:
    out = io.StringIO()
    bar = ProgressBar(2, out, live=True, width=4)
    bar.advance("a: ok")
    bar.advance("b: FAILED", ok=False)
    bar.close()
    text = out.getvalue()
    assert text.count("\n") == 2  # the failed item's line, then the end of the bar
    failed_line, last = text.split("\n")[0], text.split("\n")[1]
    assert failed_line.endswith("b: FAILED") and "\r\x1b[2K[1/2] ##.." in failed_line
    assert last.startswith("\r\x1b[2K[2/2] ####") and "FAILED" not in last


def test_a_pipe_is_not_a_terminal() -> None:
    assert ProgressBar(1, io.StringIO()).live is False
