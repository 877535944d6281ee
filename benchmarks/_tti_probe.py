"""Probe for bench_tui.py: launch the real chat app headless and print when it becomes usable."""

from __future__ import annotations

import time

T0 = time.perf_counter()  # as close to exec as Python allows

import asyncio  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def main() -> None:
    import argparse

    from lab.tui import cli

    parser = argparse.ArgumentParser()
    cli.configure(parser)
    app = cli.build_app(parser.parse_args([]))
    interactive = None
    async with app.run_test(size=(120, 36)) as pilot:
        from lab.tui.widgets.composer import Composer

        while interactive is None:
            if app.screen.focused is not None and isinstance(app.screen.focused, Composer):
                interactive = time.perf_counter() - T0
                cpu = time.process_time()
            else:
                await pilot.pause(0)
        while app.chat.lab is None:
            await pilot.pause(0.005)
        opened = time.perf_counter() - T0
        print(f"interactive={interactive:.4f} cpu={cpu:.4f} opened={opened:.4f}")


asyncio.run(main())
