"""Opening a lab session: build the sandbox, the gateway, the target and the server, wire them, deploy.

In-process (the default) the lab server is never bound to a port: one `httpx.AsyncClient` routes
`http://{host}:{port}` to it (`lab.server.lab_client`: the app is called directly), and the engine's tasks and the Kestra
client both use that client. With `serve=True` uvicorn also listens on `settings.host:port` in the
same event loop, for the TUI's browser mode and for a real Kestra that calls the lab back.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import certifi
import httpx
import orjson

from lab.clock import VirtualClock
from lab.conversation import deploy
from lab.conversation.access import check_exposure, exposure_lines, write_generated
from lab.conversation.relay import FilesApp, StatusRelay
from lab.errors import ConfigError, LabError
from lab.kestra.client import KestraClient
from lab.kestra.engine.api import KestraApi
from lab.kestra.engine.engine import Engine
from lab.llm import transcription
from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway
from lab.request_guard import RequestGuard, is_loopback
from lab.server import LabServer, lab_client
from lab.whatsapp.sandbox import GraphSandbox
from lab.whatsapp.templates import TemplateRegistry

if TYPE_CHECKING:
    from lab.config import Settings


@dataclass(slots=True)
class StatusDelivery:
    """A status webhook the sandbox posted to the flow (Meta sends them; they are not turns)."""

    wamids: list[str]
    statuses: list[str]
    http_status: int
    execution_id: str | None


@dataclass
class Parts:
    """The assembled pieces of one session."""

    settings: "Settings"
    clock: Any
    sandbox: Any
    gateway: Any
    server: Any
    http: httpx.AsyncClient
    client: Any
    engine: Any | None
    plan: Any
    uvicorn: Any | None = None
    serve_task: asyncio.Task | None = None
    status_deliveries: list[StatusDelivery] = field(default_factory=list)
    on_error: Any = None  # (what, where, fix) -> None: the Lab reports it as LabErrorRaised
    access: list[str] = field(
        default_factory=list
    )  # served: what is exposed, with which credential


def _llm_upstream_ok(settings: "Settings") -> bool:
    return bool(settings.llm_upstream_key)


def check_upstream(settings: "Settings") -> None:
    """Live and record modes need a model to talk to: say so before anything starts (no network)."""
    if (
        settings.llm_mode in ("live", "record")
        and not settings.llm_upstream_key
        and not settings.llm_upstream_url
    ):
        raise ConfigError(
            f"--llm {settings.llm_mode} talks to a real model, and no upstream is configured "
            "(neither OPENAI_API_KEY nor OPENAI_BASE_URL is set)",
            where=f"LLM mode {settings.llm_mode}",
            fix="set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server such as "
            "Ollama), or use --llm replay / --llm scripted",
        )


def lead_uses_llm(
    settings: "Settings", cassette: Path | None, scripted: Any, store: Any = None
) -> bool:
    """The lead flow asks the LLM only when a model can answer: scripted replies, a cassette that
    holds recorded chat calls, or a live key.

    A replay must decide as the recording did. A conversation recorded while no model was called
    (the chat had no key, or no message needed one) leaves a cassette without chat entries: its
    replay runs without the LLM too, instead of sending calls that can only miss.
    """
    mode = settings.llm_mode
    if (
        mode == "scripted"
    ):  # even an empty script: a scenario may test how the flow copes with no reply
        return scripted is not None
    if mode == "replay":
        return cassette is not None and (store is None or store.has_entries("chat"))
    return mode in ("live", "record") and _llm_upstream_ok(settings)


async def assemble(
    settings: "Settings",
    *,
    serve: bool,
    cassette: Path | None,
    scripted: Any,
    clock_start: datetime | None,
    target_url: str | None,
    deploy_project: bool = True,
) -> Parts:
    """Build and start every piece; deploy the project to the target (a real Kestra's only if asked)."""
    check_upstream(settings)

    if (
        serve or (target_url or settings.kestra_url) is not None
    ):  # before anything starts: nothing to undo
        check_exposure(settings)

    clock = VirtualClock(clock_start)
    base = settings.base_url
    local = f"http://{settings.host}:{settings.port}"
    server = LabServer(guard=RequestGuard(settings.host, settings.port, settings.public_url))
    # Loopback URLs of the lab go to the server in-process; anything else (a live LLM upstream) is real HTTP.
    http = lab_client(
        server,
        [local] if base == local else [local, base],
        timeout=httpx.Timeout(60.0, connect=5.0),
        verify=ssl_context(),
    )
    transport = http.lab_transport  # the same app, for clients that need a transport (KestraClient)

    templates = _templates(settings.project_dir)
    sandbox = GraphSandbox(
        access_token=settings.access_token,
        app_secret=settings.app_secret,
        business=settings.business,
        clock=clock,
        templates=templates,
        webhook_url=f"{local}/hooks/whatsapp",
        http=http,
    )
    store = None
    if cassette is not None or settings.llm_mode in ("replay", "record"):
        path = cassette or settings.scenarios_dir
        store = CassetteStore(path, secrets=settings.secret_values())
    gateway = LLMGateway(
        mode=settings.llm_mode,
        key=settings.gateway_key,
        upstream_url=settings.llm_upstream_url,
        upstream_key=settings.llm_upstream_key,
        cassettes=store,
        clock=clock,
    )
    if scripted is not None:
        gateway.script(scripted)

    target = target_url or settings.kestra_url
    engine = None
    if target is None:
        secrets = {
            f"SECRET_{k}": base64.b64encode(v.encode()).decode()
            for k, v in (("WA_TOKEN", settings.access_token), ("LLM_API_KEY", settings.gateway_key))
        }
        engine = Engine(
            http=http,
            secrets=secrets,
            clock=clock,
            version=settings.kestra_version,
            sleep=_sleep_for(clock),
            mask=settings.secret_values(),
        )
        user, password = settings.api_credentials
        api = KestraApi(engine, public_url=base, username=user, password=password)
        server.mount("/api/v1", api, strip=False)
        client = KestraClient(
            local,
            transport=transport,
            dialect=settings.kestra_version,
            username=user,
            password=password,
        )
    else:
        client = KestraClient(
            target, username=settings.kestra_user, password=settings.kestra_password
        )
    server.mount("/graph", sandbox.app)
    server.mount("/llm", gateway.app, body="application/json", uploads=(transcription.PATH,))
    server.mount("/files", FilesApp(settings.flows_dir / "files", key=settings.files_key))
    parts = Parts(settings, clock, sandbox, gateway, server, http, client, engine, None)
    server.mount("/hooks/whatsapp", StatusRelay(parts), body="application/json")

    if serve or engine is None:  # a real Kestra calls the Graph API, the gateway and the files back
        await _serve(parts)
        parts.access = exposure_lines(settings, embedded=engine is not None)
        write_generated(
            settings, embedded=engine is not None
        )  # where the lines above send the user
        if not is_loopback(settings.host):  # on the network: say so, whoever started the lab
            print("\n".join(parts.access), file=sys.stderr, flush=True)
    try:
        if engine is None:
            await client.detect()
        parts.plan = deploy.plan(
            settings, lead_use_llm=lead_uses_llm(settings, cassette, scripted, store)
        )
        if engine is not None:  # the embedded engine starts empty: it always gets the project
            deploy.apply_embedded(engine, parts.plan)
        elif deploy_project:
            await deploy.apply(client, parts.plan)
    except BaseException:
        await close(parts)
        raise
    return parts


_SSL: list[Any] = []


def ssl_context() -> Any:
    """One SSL context per process: loading the CA bundle costs ~30 ms per client otherwise."""
    if not _SSL:
        _SSL.append(ssl.create_default_context(cafile=certifi.where()))
    return _SSL[0]


_TEMPLATES: dict[Path, tuple[bytes | None, Any]] = {}


def _templates(project_dir: Path) -> Any:
    """The template registry (packaged + project templates.yaml), cached while the file's bytes are unchanged."""

    try:
        content: bytes | None = (project_dir / "templates.yaml").read_bytes()
    except OSError:
        content = None
    hit = _TEMPLATES.get(project_dir)
    if hit is None or hit[0] != content:
        hit = _TEMPLATES[project_dir] = (content, TemplateRegistry.load(project_dir))
    return hit[1]


def _sleep_for(clock: Any) -> Any:
    """Retry back-offs on the embedded engine advance the virtual clock instead of sleeping.

    Flows keep production back-offs (PT1S, exponential) for a real Kestra; in the lab a turn must
    not wait for them, and the sandbox's 24-hour window and KV TTLs see the time pass all the same.
    """

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(max(0.0, float(seconds)))
        await asyncio.sleep(0)

    return virtual_sleep


async def _serve(parts: Parts) -> None:
    # lazy: start-up, uvicorn is needed only when the lab serves
    import uvicorn

    s = parts.settings
    config = uvicorn.Config(
        parts.server,
        host=s.host,
        port=s.port,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the host app owns signals
    parts.uvicorn = server
    parts.serve_task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            return
        if parts.serve_task.done():
            break
        await asyncio.sleep(0.01)
    exc = parts.serve_task.exception() if parts.serve_task.done() else None
    raise LabError(
        f"the lab server could not listen on {s.host}:{s.port}" + (f": {exc}" if exc else ""),
        fix="choose another port (--port or WALAB_PORT), or stop what uses it",
    )


async def close(parts: Parts) -> None:
    """Stop everything this session started."""
    try:
        await parts.sandbox.aclose()
    except Exception:  # noqa: BLE001 - closing must not hide the session's own error
        pass
    if parts.engine is not None and hasattr(parts.engine, "aclose"):
        try:
            await parts.engine.aclose()
        except Exception:  # noqa: BLE001
            pass
    if parts.uvicorn is not None:
        parts.uvicorn.should_exit = True
        if parts.serve_task is not None:
            try:
                await asyncio.wait_for(parts.serve_task, 5)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                parts.serve_task.cancel()
    await parts.client.aclose()
    await parts.http.aclose()


def check_flow(parts: Parts, flow_id: str) -> Any:
    """The deployed flow source, or a clear error naming the flows there are."""
    try:
        return parts.plan.flow(flow_id)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(str(exc)) from None


def status_summary(body: bytes) -> tuple[list[str], list[str]]:
    """(wamids, statuses) of a status webhook body."""

    try:
        data = orjson.loads(body)
        statuses = data["entry"][0]["changes"][0]["value"].get("statuses") or []
    except (ValueError, KeyError, IndexError, TypeError):
        return [], []
    return [str(s.get("id")) for s in statuses], [str(s.get("status")) for s in statuses]
