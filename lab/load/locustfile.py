"""The Locust side of `walab load`: the simulated WhatsApp users and their worker process's wiring.

`walab load` runs `locust -f lab/load/locustfile.py` headless; on other machines
`locust -f lab/load/locustfile.py --worker --master-host HOST` with the same environment joins
the run (see the README). Configuration comes from the environment (secrets never on a command
line): WALAB_LOAD_HUB (the hub's URL), WALAB_LOAD_TOKEN (the Graph API bearer token),
WALAB_LOAD_APP_SECRET (signs the webhooks), WALAB_LOAD_RECORDS (the records file, on the master or
a single-process run), WALAB_LOAD_PROGRESS (seconds between progress lines; 0 for none),
WALAB_LOAD_DURATION (seconds users run, from the test's start; 0: until stopped).

Two user classes:
- `WhatsAppUser` (closed loop): each Locust user plays conversations one after another, each as
  a new contact, with think time between turns.
- `ArrivalUser` (open loop): one per worker process; starts conversations at a fixed rate whether
  or not earlier ones have finished, and measures each first turn from its scheduled time, so a
  slow system shows as latency instead of silently fewer messages (coordinated omission).
"""

from __future__ import annotations

import itertools
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from gevent.lock import Semaphore
from locust import FastHttpUser, constant, events, task
from locust.runners import MasterRunner, WorkerRunner
from locust.user.users import LOCUST_STATE_STOPPING

from lab.clock import VirtualClock
from lab.config import Business, Contact
from lab.load.inbox import HubInbox
from lab.load.player import ConversationPlayer, PlayerContext
from lab.load.progress import Progress
from lab.load.records import MESSAGE, TurnLog
from lab.whatsapp.ids import IdFactory
from lab.whatsapp.inbound import InboundBuilder


class WorkerProcess:
    """What the users of one Locust process share: the plan, the hub inbox, the turn log."""

    _current: WorkerProcess | None = None

    def __init__(self, environment: Any) -> None:
        runner = environment.runner
        self.index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        token = os.environ["WALAB_LOAD_TOKEN"]
        owner = f"w{self.index}-{os.getpid()}"
        # The plan first (without the poll greenlet's traffic), then the inbox that polls.
        probe = HubInbox(os.environ["WALAB_LOAD_HUB"], token, owner + "-plan", watch=False)
        try:
            self.plan = probe.plan()
        finally:
            probe.close()
        self.inbox = HubInbox(
            os.environ["WALAB_LOAD_HUB"], token, owner, watch=self.plan["target"] != "embedded"
        )
        self.log = _turn_log(environment)
        if isinstance(runner, WorkerRunner):
            gevent.spawn(_forward_loop, self.log)
        business = Business(**self.plan["business"])
        builder = InboundBuilder(
            business, VirtualClock(), IdFactory(f"load-{self.plan['run']}-{owner}")
        )
        self.rng = random.Random(f"{self.plan['seed']}-{self.index}")
        self.ctx = PlayerContext(
            self.plan,
            builder,
            os.environ["WALAB_LOAD_APP_SECRET"],
            self.log,
            _firer(environment),
            self.inbox.watch if self.plan["target"] != "embedded" else None,
            self.rng,
        )
        self._numbers = itertools.count(1)
        weights = [s.get("weight", 1) for s in self.plan["scripts"]]
        self._weights = weights

    _opening = (
        Semaphore()
    )  # users start together; the first one builds it (fetching the plan yields)

    @classmethod
    def of(cls, environment: Any) -> WorkerProcess:
        if cls._current is None:
            with cls._opening:
                if cls._current is None:
                    cls._current = cls(environment)
        return cls._current

    def new_contact(self, script: dict[str, Any]) -> Contact:
        wa_id = f"55{self.plan['run']:03d}{self.index % 100:02d}{next(self._numbers):06d}"
        return Contact(wa_id=wa_id, name=script["contact_name"])

    def pick(self) -> dict[str, Any]:
        return self.rng.choices(self.plan["scripts"], weights=self._weights)[0]

    def converse(self, client: Any, should_stop: Any, first_due: float | None = None) -> None:
        script = self.pick()
        contact = self.new_contact(script)
        inbox = self.inbox.register(contact.wa_id, contact.name)
        try:
            ConversationPlayer(
                self.ctx,
                client,
                inbox,
                contact,
                script,
                label=f"{self.index}/{contact.wa_id}",
                should_stop=should_stop,
            ).play(first_due)
        finally:
            self.inbox.release(contact.wa_id)


class WhatsAppUser(FastHttpUser):
    """Closed loop: one conversation after another, each as a new contact."""

    wait_time = constant(0)  # think time is between turns, inside the conversation

    @task
    def conversation(self) -> None:
        WorkerProcess.of(self.environment).converse(
            self.client, lambda: self._state == LOCUST_STATE_STOPPING
        )


class ArrivalUser(FastHttpUser):
    """Open loop: conversations start at the plan's arrival rate (per worker process); `walab load`
    starts one per worker process, so the rates add up to the one asked for."""

    concurrency = 1000  # connections this one user may hold: one per conversation in flight
    wait_time = constant(0)

    @task
    def arrivals(self) -> None:
        worker = WorkerProcess.of(self.environment)
        rate = float(worker.plan["arrival_rate"])
        cap = int(worker.plan.get("max_in_flight") or 2000)
        stopping = lambda: self._state == LOCUST_STATE_STOPPING  # noqa: E731
        in_flight: set[Any] = set()
        start = time.time()
        for n in itertools.count():
            due = start + n / rate
            delay = due - time.time()
            if delay > 0:
                gevent.sleep(delay)
            if stopping():
                break
            if len(in_flight) >= cap:
                worker.log.add(
                    {
                        "user": f"{worker.index}/-",
                        "wa_id": "",
                        "scenario": "",
                        "step": 0,
                        "started": due,
                        "outcome": "not_started",
                        "failures": [f"{cap} conversations already in flight"],
                    }
                )
                continue
            greenlet = gevent.spawn(worker.converse, self.client, stopping, due)
            in_flight.add(greenlet)
            greenlet.link(in_flight.discard)
        gevent.joinall(list(in_flight))


def _turn_log(environment: Any) -> TurnLog:
    if isinstance(environment.runner, WorkerRunner):
        runner = environment.runner
        return TurnLog(None, forward=lambda batch: runner.send_message(MESSAGE, batch))
    return _master_log()


_LOGS: list[TurnLog] = []


def _master_log() -> TurnLog:
    if not _LOGS:
        _LOGS.append(TurnLog(Path(os.environ["WALAB_LOAD_RECORDS"])))
    return _LOGS[0]


def _forward_loop(log: TurnLog) -> None:
    while True:
        gevent.sleep(1.0)
        log.flush()


def _firer(environment: Any) -> Any:
    request = environment.events.request

    def fire(name: str, ms: float, failure: str | None) -> None:
        request.fire(
            request_type="WA",
            name=name,
            response_time=ms,
            response_length=0,
            exception=Exception(failure) if failure else None,
            context={},
        )

    return fire


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    # Importing this file can take seconds on a busy machine, during which gevent's loop keeps the
    # time it read before: Locust's --run-time timer, armed next, would fire that much early.
    gevent.get_hub().loop.update_now()
    if isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(
            MESSAGE, lambda msg, **__: _master_log().add_batch(msg.data)
        )
    if not isinstance(environment.runner, WorkerRunner):
        every = float(os.environ.get("WALAB_LOAD_PROGRESS", "2") or 0)
        if every > 0:
            progress = Progress(environment, _master_log, sys.stderr)
            gevent.spawn(progress.loop, every)


@events.test_start.add_listener
def _on_test_start(environment: Any, **_: Any) -> None:
    """The run's duration, timed from when users start (Locust's own --run-time timer is armed
    right after a slow start-up, with the loop's stale clock, and can fire seconds early)."""
    seconds = float(os.environ.get("WALAB_LOAD_DURATION") or 0)
    if seconds > 0 and not isinstance(environment.runner, WorkerRunner):
        gevent.get_hub().loop.update_now()
        gevent.spawn_later(seconds, environment.runner.quit)


@events.test_stop.add_listener
def _on_test_stop(environment: Any, **_: Any) -> None:
    if WorkerProcess._current is not None:
        WorkerProcess._current.log.flush()


@events.quitting.add_listener
def _on_quitting(environment: Any, **_: Any) -> None:
    if WorkerProcess._current is not None:
        WorkerProcess._current.log.flush()
        WorkerProcess._current.inbox.close()
    if not isinstance(environment.runner, WorkerRunner) and _LOGS:
        _LOGS[0].close()
