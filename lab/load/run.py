"""One load run: the lab session that plays Meta, the Graph API and the model, and Locust beside it.

`LoadRun` opens a `Lab` listening on its port (the embedded engine serves the flows' webhooks
there; a real Kestra calls the fake Graph API and the gateway back there), mounts the hub and the
fault wrappers, starts Locust headless in a child process (gevent stays out of the lab's asyncio
process), waits for it, lets the executions still running finish for a short grace, and hands the
records and what the lab saw to the report.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.config import Settings
from lab.conversation.assembly import check_flow
from lab.conversation.lab import Lab
from lab.errors import ConfigError
from lab.llm import tokens
from lab.load.faults import FaultPlan, GraphFaults, ModelFaults
from lab.load.hub import LoadHub
from lab.load.plan import ConversationScript, to_json

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def locust_command(*options: str) -> list[str]:
    """The command that runs Locust on walab's locustfile with these options."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *options]


def locust_env(hub_url: str, settings: Settings, *, progress: object) -> dict[str, str]:
    """Locust's environment: this process's, with the load hub's URL and the secrets its users
    sign webhooks and read the hub with (`lab/load/locustfile.py` reads them)."""
    return dict(
        os.environ,
        WALAB_LOAD_HUB=hub_url,
        WALAB_LOAD_TOKEN=settings.access_token,
        WALAB_LOAD_APP_SECRET=settings.app_secret,
        WALAB_LOAD_PROGRESS=str(progress),
    )


POLL_CONCURRENCY = 16
WEBHOOK_PATH = "/api/v1/main/executions/webhook/{namespace}/{flow}/{key}"


@dataclass
class LoadOptions:
    """What `walab load` was asked to do."""

    scripts: list[ConversationScript]
    users: int = 10
    spawn_rate: float = 10.0
    duration: float = 30.0
    arrival_rate: float | None = None  # conversations/s: the open-loop mode
    max_in_flight: int = 2000
    think: tuple[float, float] = (0.0, 0.0)
    turn_timeout: float = 30.0
    faults: FaultPlan = field(default_factory=FaultPlan)
    cost_cap: float | None = None
    processes: int = 1  # local Locust worker processes (1: a single process)
    expect_workers: int = 0  # remote workers the master waits for (0: none)
    seed: int = 0
    grace: float = 10.0
    progress: float = 2.0
    out: Path = Path("load-report")
    warnings: list[str] = field(default_factory=list)


@dataclass
class LoadOutcome:
    """What the run produced, for the report."""

    records_path: Path
    lab: dict[str, Any]
    locust_exit: int
    seconds: float
    llm_cost_usd: float
    llm_calls: int
    fault_counts: dict[str, dict[str, int]]


class LoadRun:
    """Runs one load test; `await LoadRun(settings, options, lab_options).run()`."""

    def __init__(
        self,
        settings: Any,
        options: LoadOptions,
        *,
        scripted: Any = None,
        target_url: str | None = None,
        deploy: bool = True,
    ) -> None:
        self.settings = settings
        self.options = options
        self.scripted = scripted
        self.target_url = target_url
        self.deploy = deploy
        self.cost = 0.0
        self.calls = 0

    async def run(self) -> LoadOutcome:
        o = self.options
        o.out.mkdir(parents=True, exist_ok=True)
        records = o.out / "turns.jsonl"
        records.unlink(missing_ok=True)
        async with Lab.open(
            self.settings,
            serve=True,
            scripted=self.scripted,
            target_url=self.target_url,
            deploy=self.deploy,
            turn_timeout=o.turn_timeout,
        ) as lab:
            hub = LoadHub(
                token=self.settings.access_token,
                plan=self._plan(lab),
                note_inbound=lambda wa_id, name: lab.sandbox.note_inbound(wa_id, name=name),
            )
            graph, model = self._mount(lab, hub)
            unsubscribe = [
                lab.sandbox.subscribe(hub.on_capture),
                lab.gateway.subscribe(self._metered(hub)),
            ]
            if lab.engine is not None:
                unsubscribe.append(lab.engine.subscribe(hub.on_engine))
            follower = (
                None if lab.engine is not None else asyncio.create_task(_follow(lab.client, hub))
            )
            # The gateway counts tokens with tiktoken, whose first use loads its tables for seconds and
            # would freeze the lab's event loop (every ack, every poll) in the run's first seconds.
            await asyncio.to_thread(_warm_token_counting)
            started = time.time()
            try:
                code = await self._locust(records)
                await self._grace(hub, lab.engine is not None)
                seen = hub.summary()
            finally:
                hub.stop("the run ended")  # answers the polls still held, before the server closes
                if follower is not None:
                    follower.cancel()
                for stop in unsubscribe:
                    stop()
            return LoadOutcome(
                records,
                seen,
                code,
                time.time() - started,
                self.cost,
                self.calls,
                {
                    "graph": dict(graph.counts) if graph else {},
                    "model": dict(model.counts) if model else {},
                },
            )

    def _plan(self, lab: Lab) -> dict[str, Any]:
        o = self.options
        paths = {}
        for script in o.scripts:
            namespace, flow_id = script.flow.split("/", 1)
            if namespace != lab.namespace:
                raise ConfigError(
                    f"scenario {script.name} talks to namespace {namespace}, the lab deploys "
                    f"{lab.namespace}",
                    fix="set `namespace` in walab.yaml, or load scenarios of one "
                    "namespace at a time",
                )
            key = check_flow(lab.parts, flow_id).webhook_key
            if not key:
                raise ConfigError(
                    f"flow {flow_id} has no Webhook trigger",
                    where=script.flow,
                    fix="load scenarios of flows that WhatsApp can reach",
                )
            paths[script.flow] = WEBHOOK_PATH.format(namespace=namespace, flow=flow_id, key=key)
        b = self.settings.business
        workers = max(1, o.processes if o.processes > 1 else 0, o.expect_workers)
        return {
            "version": 1,
            "run": int(time.time()) % 1000,
            "seed": o.seed,
            "target": "embedded" if lab.engine is not None else "kestra",
            "business": {
                "phone_number_id": b.phone_number_id,
                "waba_id": b.waba_id,
                "display_phone_number": b.display_phone_number,
                "verified_name": b.verified_name,
            },
            "webhook_paths": paths,
            "scripts": to_json(o.scripts),
            "turn_timeout": o.turn_timeout,
            "think": list(o.think),
            "meta_faults": o.faults.meta,
            "arrival_rate": (o.arrival_rate or 0) / workers,
            "max_in_flight": o.max_in_flight,
        }

    def _mount(self, lab: Lab, hub: LoadHub) -> tuple[GraphFaults | None, ModelFaults | None]:
        server = lab.parts.server
        server.mount("/_load", hub)
        plan = self.options.faults
        if plan.status_delay:
            lab.sandbox.faults.delay_statuses(plan.status_delay)
        graph = model = None
        if plan.touches_graph:
            prefix = "/" + self.settings.graph_version
            graph = GraphFaults(lab.sandbox.app, prefix, plan, lab.sandbox.faults)
            server.mount("/graph" + prefix, graph)
        if plan.touches_model or self.options.cost_cap is not None:
            model = ModelFaults(
                lab.gateway.app, "/x", plan, lab.gateway.faults, refuse=lambda: hub.stop_reason
            )
            server.mount("/llm/x", model)
        return graph, model

    def _metered(self, hub: LoadHub) -> Any:
        cap = self.options.cost_cap

        def on_call(call: Any) -> None:
            self.calls += 1
            self.cost += call.cost_usd or 0.0
            if cap is not None and self.cost >= cap:
                hub.stop(f"the LLM cost cap of ${cap:.2f} was reached (${self.cost:.4f} spent)")

        return on_call

    async def _locust(self, records: Path) -> int:
        if importlib.util.find_spec("locust") is None:
            raise ConfigError(
                "walab load needs Locust, which is not installed here",
                fix="run it as ./walab load (installs the load extra), or pip install 'walab[load]'",
            )
        o = self.options
        s = self.settings
        env = locust_env(f"http://{_loopback(s.host)}:{s.port}/_load", s, progress=o.progress)
        env["WALAB_LOAD_RECORDS"] = str(records.resolve())
        env["WALAB_LOAD_DURATION"] = str(o.duration)
        host = self.target_url or f"http://{_loopback(s.host)}:{s.port}"
        user_class = "ArrivalUser" if o.arrival_rate else "WhatsAppUser"
        users, rate = (
            (max(1, o.processes, o.expect_workers), 100.0)
            if o.arrival_rate
            else (o.users, o.spawn_rate)
        )
        argv = locust_command(
            "--headless",
            "--host",
            host,
            "-u",
            str(users),
            "-r",
            str(rate),
            "--stop-timeout",
            str(round(o.turn_timeout + 5)),
            "--only-summary",
            "--loglevel",
            os.environ.get("WALAB_LOAD_LOGLEVEL", "WARNING"),
            "--csv",
            str(o.out / "locust"),
            "--html",
            str(o.out / "locust.html"),
            "--exit-code-on-error",
            "0",
        )
        if o.processes > 1:
            argv += ["--processes", str(o.processes)]
        if o.expect_workers:
            argv += ["--master", "--expect-workers", str(o.expect_workers)]
        argv.append(user_class)
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        try:
            await _relay(process.stdout, self.settings.secret_values())
            return await process.wait()
        except asyncio.CancelledError:
            process.terminate()
            await process.wait()
            raise

    async def _grace(self, hub: LoadHub, embedded: bool) -> None:
        """Let executions the users stopped waiting for end (up to `grace` seconds)."""
        deadline = time.monotonic() + self.options.grace
        while time.monotonic() < deadline:
            if not (hub.running if embedded else hub.watched_pending()):
                return
            await asyncio.sleep(0.1)


async def _follow(client: Any, hub: LoadHub) -> None:
    """A real Kestra: ask for the executions workers wait for until each has ended."""
    limit = asyncio.Semaphore(POLL_CONCURRENCY)

    async def check(execution_id: str) -> None:
        async with limit:
            try:
                execution = await client.get_execution(execution_id)
            except Exception:  # noqa: BLE001 - a failed look is tried again on the next round
                return
            if execution.state.terminated:
                hub.ended(execution_id, execution.state.current)

    while True:
        pending = hub.watched_pending()
        if pending:
            await asyncio.gather(*(check(x) for x in pending))
        await asyncio.sleep(0.25)


async def _relay(stream: Any, secrets: list[str]) -> None:
    """Locust's output (progress, its summary) to our stderr, line by line, secrets scrubbed."""
    while True:
        line = await stream.readline()
        if not line:
            return
        text = line.decode("utf-8", "replace")
        for secret in secrets:
            text = text.replace(secret, "***")
        sys.stderr.write(text)
        sys.stderr.flush()


def _warm_token_counting() -> None:
    for model in ("gpt-4o-mini", "gpt-3.5-turbo"):  # the two encodings (o200k_base, cl100k_base)
        tokens.count_text("warm up", model)


def _loopback(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host
