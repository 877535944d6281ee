"""An ASGI app served for real on 127.0.0.1 by uvicorn in a background thread, for tests.

The listening socket is bound here, before uvicorn starts, and handed to it: a port picked by
binding and closing a socket could be taken by a neighbouring `-n 2` worker before uvicorn binds
it again, and the server fails (or answers for another test).
"""

from __future__ import annotations

import socket
import threading

import uvicorn
from waiting import eventually_sync


class LoopbackServer:
    """`with LoopbackServer(app) as server:` serves `app` at `server.url` until the block ends."""

    def __init__(self, app) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # A connection a test left open does not hold the shutdown up for long.
        self.server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=0.2)
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        eventually_sync(
            lambda: self.server.started or not self.thread.is_alive(),
            f"a test server at {self.url}",
        )
        if not self.server.started:
            raise RuntimeError(
                f"the test server at {self.url} stopped before serving (see the log above)"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
