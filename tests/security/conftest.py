"""A lab served on loopback (`Lab.open(serve=True)`) in its own thread, for real-HTTP security tests."""

from __future__ import annotations

import asyncio
import socket
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLOCK = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
MARIA = "5511987654321"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedLab:
    """A served lab session running on its own event loop; `call(coro)` runs a coroutine there."""

    def __init__(self, **overrides: Any) -> None:
        from lab.config import load_settings

        self.settings = load_settings(ROOT, env={}, port=free_port(), **overrides)
        self.base = f"http://127.0.0.1:{self.settings.port}"
        self.lab: Any = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._main(),), daemon=True
        )

    async def _main(self) -> None:
        from lab.conversation.lab import Lab

        self._stop = asyncio.Event()
        try:
            async with Lab.open(self.settings, serve=True, clock_start=CLOCK) as lab:
                self.lab = lab
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._failed = exc
            self._ready.set()

    def __enter__(self) -> ServedLab:
        self._thread.start()
        self._ready.wait(60)
        if self._failed is not None:
            raise self._failed
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def call(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    @property
    def api_auth(self) -> tuple[str, str]:
        return self.settings.api_credentials


@pytest.fixture(scope="package")
def served() -> Iterator[ServedLab]:
    with ServedLab() as lab:
        yield lab
