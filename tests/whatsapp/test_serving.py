"""The corked transport: one write per loop turn, flushed before close."""

from __future__ import annotations

import asyncio

from lab.whatsapp.serving import CorkedTransport


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str):
        return ("127.0.0.1", 1) if name == "peername" else None


async def test_writes_of_one_turn_leave_together():
    raw = FakeTransport()
    t = CorkedTransport(raw, asyncio.get_running_loop())
    t.write(b"HTTP/1.1 200 OK\r\n\r\n")
    t.write(b"{}")
    assert raw.writes == []
    await asyncio.sleep(0)
    assert raw.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    assert t.get_extra_info("peername") == ("127.0.0.1", 1)


async def test_close_flushes_first():
    raw = FakeTransport()
    t = CorkedTransport(raw, asyncio.get_running_loop())
    t.write(b"bye")
    t.close()
    assert raw.writes == [b"bye"] and raw.closed
    await asyncio.sleep(0)
    assert raw.writes == [b"bye"]
