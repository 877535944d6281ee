"""What the lab deploys to a target: flows, namespace files (prompts, fixtures), KV config, secrets.

The plan is computed from the project (flows/, flows/files/, prompts/) and the settings; it is
applied through the Kestra client, so the same code deploys to the embedded engine and to a real
Kestra. Flow sources are parsed once per process per distinct text: a scenario run opens one lab
per scenario, and re-parsing the same files each time would dominate its cost.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab import yamlio
from lab.errors import ConfigError
from lab.prompts import load_prompts

if TYPE_CHECKING:
    from lab.config import Settings
    from lab.kestra.client import KestraClient
    from lab.prompts import PromptFile

WEBHOOK_TYPES = (
    "io.kestra.plugin.core.trigger.Webhook",
    "io.kestra.core.models.triggers.types.Webhook",
)
SECRET_NAMES = ("WA_TOKEN", "LLM_API_KEY")
DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(slots=True)
class FlowSource:
    """One flow file: its text and what the lab needs to know about it."""

    path: Path
    text: str
    namespace: str
    id: str
    webhook_key: str | None
    task_types: dict[str, str]


@dataclass(slots=True)
class DeployPlan:
    """Everything one deployment pushes."""

    namespace: str
    flows: list[FlowSource]
    files: dict[str, bytes]  # namespace file path -> content
    kv: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)  # only applied to the embedded engine

    def flow(self, flow_id: str) -> FlowSource:
        for f in self.flows:
            if f.id == flow_id:
                return f
        known = ", ".join(f.id for f in self.flows) or "none"
        raise ConfigError(
            f"no flow {flow_id!r} in namespace {self.namespace}", fix=f"flows found: {known}"
        )

    def lines(self) -> list[str]:
        """A dry-run listing, without secret values; KV values as the JSON Kestra stores (`false`,
        `"http://…"`), not as Python writes them."""
        rows = [
            (
                "flow",
                f.id,
                f.path.name + (f"  (webhook key {f.webhook_key})" if f.webhook_key else ""),
            )
            for f in self.flows
        ]
        rows += [("file", p, f"{len(c)} bytes") for p, c in sorted(self.files.items())]
        rows += [
            ("kv", k, json.dumps(v, ensure_ascii=False, default=str)) for k, v in self.kv.items()
        ]
        rows += [("secret", k, "(set from the session)") for k in self.secrets]
        width = max(
            (len(name) for _, name, _ in rows), default=0
        )  # the longest name sets the column
        out = [f"namespace {self.namespace}"]
        out += [f"  {kind:<6} {name:<{width}}  {value}" for kind, name, value in rows]
        return out


_SOURCE_CACHE: dict[Path, tuple[str, FlowSource]] = {}


def flow_source(path: Path) -> FlowSource:
    """Read and parse one flow file (parsed once per process while its text is unchanged).

    Keyed by the text, not the file's mtime: two saves within the file system's timestamp tick
    (a few milliseconds) with the same size would otherwise read as unchanged.
    """

    text = yamlio.read_text(path)
    hit = _SOURCE_CACHE.get(path)
    if hit is not None and hit[0] == text:
        return hit[1]

    data = yamlio.loads(text, source=str(path))
    if not isinstance(data, dict) or "id" not in data or "namespace" not in data:
        raise ConfigError(
            "a flow file needs `id` and `namespace` at the top",
            where=str(path),
            fix="see flows/whatsapp_agent.yml for the shape of a flow",
        )
    key = None
    for trig in data.get("triggers") or ():
        if isinstance(trig, dict) and trig.get("type") in WEBHOOK_TYPES:
            key = str(trig.get("key"))
            break
    src = FlowSource(path, text, str(data["namespace"]), str(data["id"]), key, _task_types(data))
    _SOURCE_CACHE[path] = (text, src)
    return src


def _task_types(flow: dict[str, Any]) -> dict[str, str]:
    types: dict[str, str] = {}

    def walk(tasks: Any) -> None:
        for t in tasks or ():
            if not isinstance(t, dict):
                continue
            if "id" in t and "type" in t:
                types[str(t["id"])] = str(t["type"])
            for k, v in t.items():
                if k in ("tasks", "then", "else", "errors", "finally", "defaults"):
                    walk(v)
                elif k == "cases" and isinstance(v, dict):
                    for branch in v.values():
                        walk(branch)

    for block in ("tasks", "errors", "finally", "afterExecution"):
        walk(flow.get(block))
    return types


def flow_sources(flows_dir: Path, namespace: str) -> list[FlowSource]:
    """The flows of one namespace in a folder (`*.yml`, `*.yaml`), sorted by file name."""
    if not flows_dir.is_dir():
        raise ConfigError(
            f"no flows folder at {flows_dir}",
            fix="run walab from the project folder, or create flows/",
        )
    paths = sorted([*flows_dir.glob("*.yml"), *flows_dir.glob("*.yaml")])
    return [s for s in (flow_source(p) for p in paths) if s.namespace == namespace]


def namespace_files(settings: "Settings", prompts: list["PromptFile"]) -> dict[str, bytes]:
    """Namespace files: everything under flows/files/, every prompt variant, and each flow's active prompt."""
    files: dict[str, bytes] = {}
    root = settings.flows_dir / "files"
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                files[p.relative_to(root).as_posix()] = p.read_bytes()
    for prompt in prompts:
        files[prompt.namespace_path] = prompt.text.encode("utf-8")
        if prompt.variant == "default":
            files[f"prompts/{prompt.flow}.md"] = prompt.text.encode("utf-8")
    return files


def kv_config(
    settings: "Settings", *, model: str | None = None, lead_use_llm: bool = False
) -> dict[str, Any]:
    """The KV values the flows read: where the Graph API, the LLM and the plans are."""
    base = settings.base_url
    return {
        "WA_GRAPH_URL": f"{base}/graph",
        "WA_GRAPH_VERSION": settings.graph_version,
        "LLM_BASE_URL": f"{base}/llm",
        "LLM_MODEL": model or DEFAULT_MODEL,
        "PLANS_URL": f"{base}/files/{settings.files_key}/plans.json",
        "LEAD_USE_LLM": lead_use_llm,
    }


def plan(
    settings: "Settings", *, lead_use_llm: bool = False, with_secrets: bool = True
) -> DeployPlan:
    """The deployment of the project's namespace for these settings."""

    prompts = load_prompts(settings.prompts_dir)
    flows = flow_sources(settings.flows_dir, settings.namespace)
    model = next(
        (
            p.model
            for p in prompts
            if p.flow == settings.flow and p.variant == "default" and p.model
        ),
        None,
    )
    secrets = (
        {"WA_TOKEN": settings.access_token, "LLM_API_KEY": settings.gateway_key}
        if with_secrets
        else {}
    )
    return DeployPlan(
        settings.namespace,
        flows,
        namespace_files(settings, prompts),
        kv_config(settings, model=model, lead_use_llm=lead_use_llm),
        secrets,
    )


async def apply(client: "KestraClient", p: DeployPlan, *, delete: bool = False) -> None:
    """Push the plan through the client: flows (namespace sync), files, KV (secrets are the caller's)."""
    if p.flows:
        await client.flows.sync_namespace(p.namespace, [f.text for f in p.flows], delete=delete)
    for path, content in p.files.items():
        await client.files.upload(p.namespace, "/" + path, content)
    for key, value in p.kv.items():
        await client.kv.put(p.namespace, key, value)


_PARSED: dict[
    str, Any
] = {}  # flow source text -> the engine's parsed FlowDef (validated once per process)


def apply_embedded(engine: Any, p: DeployPlan) -> None:
    """Deploy straight into the embedded engine, reusing flows parsed by an earlier session.

    Validation and parsing cost tens of milliseconds per flow; a scenario run opens one lab per
    scenario, so a flow unchanged since the last session is installed as already parsed.
    """
    install = getattr(engine, "install", None)
    for f in p.flows:
        parsed = _PARSED.get(f.text)
        if parsed is None or install is None:
            parsed = _PARSED[f.text] = engine.deploy(f.text, path=str(f.path))
        else:
            install(parsed)  # a FlowDef is read-only once parsed: sessions can share it
    for path, content in p.files.items():
        engine.files.put(p.namespace, "/" + path, content)
    for key, value in p.kv.items():
        engine.kv.set(p.namespace, key, value)


def secrets_guidance(p: DeployPlan, settings: "Settings") -> list[str]:
    """How to give a real Kestra the flows' secrets (OSS reads SECRET_<NAME>, base64-encoded)."""
    lines = [
        "A real Kestra reads secrets from environment variables SECRET_<NAME> holding base64 values.",
        "Set these on the Kestra container (docker compose `environment:`), then restart it:",
    ]
    for name in SECRET_NAMES:
        source = {
            "WA_TOKEN": "the Graph API access token (the lab's: WALAB_ACCESS_TOKEN)",
            "LLM_API_KEY": "the LLM gateway key (the lab's: WALAB_GATEWAY_KEY)",
        }[name]
        lines.append(f'  SECRET_{name}=$(printf %s "$VALUE" | base64 -w0)   # {source}')
    if not os.environ.get("WALAB_ACCESS_TOKEN") or not os.environ.get("WALAB_GATEWAY_KEY"):
        lines.append(
            "Fix WALAB_ACCESS_TOKEN and WALAB_GATEWAY_KEY in the lab's environment (or walab.yaml) so "
            "the values Kestra holds stay valid across lab restarts."
        )
    return lines
