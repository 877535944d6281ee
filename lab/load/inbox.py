"""A load worker's side of the hub: one long poll per worker process, one inbox per contact.

Runs under gevent inside Locust. `HubInbox` registers the contacts this worker plays, long-polls
its own mailbox on the hub (`/_load/poll/{owner}`) in one greenlet, and hands each event to the
contact it concerns; a second greenlet sends the executions a worker must hear about to the hub in
batches (only a real Kestra needs it: the embedded engine reports every execution itself). One
request brings every reply of every contact of the worker since the last one, so the cost of
correlation does not grow with the number of users.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
import orjson
from gevent.queue import Queue
from geventhttpclient import URL, HTTPClient

POLL_WAIT = 10.0  # seconds the hub holds a poll with nothing to say
# After a poll that brought events, wait this long before the next one, so that under load one
# request brings many events instead of one each (a reply is seen at most this much later).
LINGER = 0.005
WATCH_EVERY = 0.05


class HubError(Exception):
    """The hub refused or failed a request (the message says which and why)."""


class HubInbox:
    """Routes hub events to per-contact queues of (receive time, event)."""

    def __init__(self, hub_url: str, token: str, owner: str, *, watch: bool) -> None:
        self.url = URL(hub_url.rstrip("/") + "/")
        self.owner = owner
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._poll_http = HTTPClient.from_url(
            self.url, concurrency=1, network_timeout=POLL_WAIT + 20, connection_timeout=10
        )
        self._http = HTTPClient.from_url(
            self.url, concurrency=4, network_timeout=30, connection_timeout=10
        )
        self._inboxes: dict[str, Queue] = {}
        self._pending_watch: list[list[str]] = []
        self._after = 0
        self.stop_reason: str | None = None
        self.polls = 0
        self._greenlets = [gevent.spawn(self._poll_loop)]
        if watch:
            self._greenlets.append(gevent.spawn(self._watch_loop))

    def plan(self) -> dict[str, Any]:
        return self._request("GET", "plan")

    def register(self, wa_id: str, name: str) -> Queue:
        """Own a contact: its replies and executions come to the returned queue."""
        inbox = self._inboxes[wa_id] = Queue()
        self._request(
            "POST", "contacts", {"owner": self.owner, "contacts": [{"wa_id": wa_id, "name": name}]}
        )
        return inbox

    def release(self, wa_id: str) -> None:
        self._inboxes.pop(wa_id, None)

    def watch(self, execution_id: str, wa_id: str, inbound_wamid: str) -> None:
        self._pending_watch.append([execution_id, wa_id, inbound_wamid])

    def close(self) -> None:
        gevent.killall(self._greenlets, block=False)
        self._poll_http.close()
        self._http.close()

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = orjson.dumps(body) if body is not None else None
        response = self._http.request(
            method, self.url.path + path, body=data or b"", headers=self._headers
        )
        content = response.read()
        if response.status_code != 200:
            raise HubError(
                f"{method} {self.url}{path} answered {response.status_code}: {content[:200]!r}"
            )
        return orjson.loads(content)

    def _poll_loop(self) -> None:
        path = f"{self.url.path}poll/{self.owner}"
        while True:
            try:
                response = self._poll_http.post(
                    path,
                    body=orjson.dumps({"after": self._after, "wait": POLL_WAIT}),
                    headers=self._headers,
                )
                content = response.read()
                if response.status_code != 200:
                    raise HubError(f"poll answered {response.status_code}: {content[:200]!r}")
                answer = orjson.loads(content)
            except (OSError, HubError, ValueError) as exc:
                self._broadcast(["e", "", f"the load hub at {self.url} failed: {exc}"])
                gevent.sleep(1.0)
                continue
            self.polls += 1
            now = time.time()
            for event in answer["events"]:
                inbox = self._inboxes.get(event[1])
                if inbox is not None:
                    inbox.put((now, event))
            self._after = answer["next"]
            if answer.get("stop") and self.stop_reason is None:
                self.stop_reason = answer["stop"]
                self._broadcast(["s", "", self.stop_reason])
            if answer["events"]:
                gevent.sleep(LINGER)

    def _watch_loop(self) -> None:
        while True:
            gevent.sleep(WATCH_EVERY)
            if not self._pending_watch:
                continue
            batch, self._pending_watch = self._pending_watch, []
            try:
                self._request("POST", "watch", {"owner": self.owner, "watch": batch})
            except (OSError, HubError, ValueError) as exc:
                self._pending_watch[:0] = batch
                self._broadcast(["e", "", f"the load hub at {self.url} failed: {exc}"])
                gevent.sleep(1.0)

    def _broadcast(self, event: list[Any]) -> None:
        now = time.time()
        for inbox in self._inboxes.values():
            inbox.put((now, event))
