"""Fault plans of a load run: what Meta, the Graph API and the model do wrong, and how often.

    version: 1
    seed: 7                              # the same seed draws the same faults
    meta:                                # Meta's side of the webhooks (played by the load users)
      duplicate: 0.1                     # share of user messages delivered twice (same bytes, same wamid)
      out_of_order: 0.05                 # share of turns whose next message reaches the bot first
      status_delay: 2s                   # statuses reach the flow this much later
    graph:                               # what the fake Graph API answers the flow's sends
      rate_limit: 0.05                   # 130429 with Meta's rate-limit headers
      server_error: 0.02                 # HTTP 500, code 131000
      timeout: {share: 0.01, seconds: 20}   # the answer is held this long (past the flow's client timeout)
    model:                               # what the LLM gateway answers the flow's model calls
      rate_limit: 0.05                   # 429 rate_limit_exceeded
      server_error: 0.02                 # 500 server_error
      slow: {share: 0.1, seconds: 2}     # answered this much later

Graph API and model faults wrap the lab's own apps (`GraphFaults`, `ModelFaults`), mounted in
front of them on the lab server: each fault a draw picks is armed on the sandbox's or the
gateway's own fault script just before the request it hits, so the sandbox and the gateway answer
and record it exactly as they do for a scenario's `fault:` step (one definition of each fault).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from lab import yamlio
from lab.asgi_response import send_response
from lab.clock import parse_duration
from lab.errors import ConfigError
from lab.llm.shapes import error_body

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
SECTIONS = {
    "meta": ("duplicate", "out_of_order", "status_delay"),
    "graph": ("rate_limit", "server_error", "timeout"),
    "model": ("rate_limit", "server_error", "slow"),
}
HELD = {"timeout": 20.0, "slow": 2.0}  # default seconds of a held answer


@dataclass(slots=True)
class Held:
    """A share of requests answered late."""

    share: float = 0.0
    seconds: float = 0.0


@dataclass
class FaultPlan:
    """Shares (0..1) of each fault, by where it happens."""

    seed: int = 0
    duplicate: float = 0.0
    out_of_order: float = 0.0
    status_delay: float = 0.0
    graph_rate_limit: float = 0.0
    graph_server_error: float = 0.0
    graph_timeout: Held = field(default_factory=Held)
    model_rate_limit: float = 0.0
    model_server_error: float = 0.0
    model_slow: Held = field(default_factory=Held)

    @property
    def meta(self) -> dict[str, float]:
        """What the load users play (sent to them in the plan)."""
        return {"duplicate": self.duplicate, "out_of_order": self.out_of_order}

    @property
    def touches_graph(self) -> bool:
        return bool(self.graph_rate_limit or self.graph_server_error or self.graph_timeout.share)

    @property
    def touches_model(self) -> bool:
        return bool(self.model_rate_limit or self.model_server_error or self.model_slow.share)

    def describe(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "meta": {
                "duplicate": self.duplicate,
                "out_of_order": self.out_of_order,
                "status_delay_s": self.status_delay,
            },
            "graph": {
                "rate_limit": self.graph_rate_limit,
                "server_error": self.graph_server_error,
                "timeout": {
                    "share": self.graph_timeout.share,
                    "seconds": self.graph_timeout.seconds,
                },
            },
            "model": {
                "rate_limit": self.model_rate_limit,
                "server_error": self.model_server_error,
                "slow": {"share": self.model_slow.share, "seconds": self.model_slow.seconds},
            },
        }


def load_fault_plan(path: str | Path) -> FaultPlan:
    """Read a fault plan file; errors name the file, the key and what is expected."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the fault plan {p}: {exc.strerror}",
            where=str(p),
            fix="give a YAML fault plan (see `walab load --help`)",
        ) from None
    return parse_fault_plan(yamlio.loads(text, source=str(p)) or {}, str(p))


def parse_fault_plan(data: Any, where: str) -> FaultPlan:
    if not isinstance(data, dict) or data.get("version", 1) != 1:
        raise ConfigError(
            "a fault plan is a mapping with `version: 1`",
            where=where,
            fix="keys: version, seed, meta, graph, model",
        )
    unknown = sorted(set(data) - {"version", "seed", *SECTIONS})
    if unknown:
        raise ConfigError(
            f"unknown fault plan key {unknown[0]!r}",
            where=where,
            fix=f"one of version, seed, {', '.join(SECTIONS)}",
        )
    plan = FaultPlan(seed=int(data.get("seed") or 0))
    for section, names in SECTIONS.items():
        values = data.get(section) or {}
        if not isinstance(values, dict):
            raise ConfigError(
                f"`{section}` must be a mapping",
                where=f"{where}: {section}",
                fix=f"keys among {', '.join(names)}",
            )
        for name, value in values.items():
            if name not in names:
                raise ConfigError(
                    f"unknown fault {section}.{name}",
                    where=f"{where}: {section}.{name}",
                    fix=f"one of {', '.join(names)}",
                )
            attr = name if section == "meta" else f"{section}_{name}"
            if name == "status_delay":
                setattr(plan, attr, _seconds(value, f"{where}: {section}.{name}"))
            elif name in HELD:
                setattr(plan, attr, _held(value, name, f"{where}: {section}.{name}"))
            else:
                setattr(plan, attr, _share(value, f"{where}: {section}.{name}"))
    return plan


def _share(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(
            f"a fault share must be a number from 0 to 1, got {value!r}",
            where=where,
            fix="e.g. 0.05 for 5 % of the messages",
        )
    return float(value)


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return parse_duration(str(value)).total_seconds()
    except ConfigError:
        raise ConfigError(
            f"not a duration: {value!r}", where=where, fix="e.g. 2s, 500ms as 0.5"
        ) from None


def _held(value: Any, name: str, where: str) -> Held:
    if isinstance(value, dict):
        extra = sorted(set(value) - {"share", "seconds"})
        if extra:
            raise ConfigError(
                f"unknown key {extra[0]!r}", where=where, fix="`{share: 0.1, seconds: 2}`"
            )
        return Held(
            _share(value.get("share", 0), where), _seconds(value.get("seconds", HELD[name]), where)
        )
    return Held(_share(value, where), HELD[name])


class GraphFaults:
    """In front of the fake Graph API's send endpoint: arms a rate limit or a 5xx on the sandbox's fault
    script for a share of the sends, or holds the answer."""

    def __init__(self, inner: ASGIApp, prefix: str, plan: FaultPlan, sandbox_faults: Any) -> None:
        self.inner = inner
        self.prefix = (
            prefix  # the part of the path this app was mounted under, given back to the sandbox
        )
        self.plan = plan
        self.faults = sandbox_faults
        self.rng = random.Random(f"graph-{plan.seed}")
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith("/messages")
        ):
            draw = self.rng.random()
            plan = self.plan
            if draw < plan.graph_rate_limit:
                self.counts["rate_limit"] += 1
                self.faults.rate_limit(1)
            elif draw < plan.graph_rate_limit + plan.graph_server_error:
                self.counts["server_error"] += 1
                self.faults.server_error(1)
            elif draw < plan.graph_rate_limit + plan.graph_server_error + plan.graph_timeout.share:
                self.counts["timeout"] += 1
                self.faults.hold(1, plan.graph_timeout.seconds)
        await self.inner(_unmount(scope, self.prefix), receive, send)


class ModelFaults:
    """In front of the LLM gateway: arms a 429, a 500 or a slow answer on the gateway's fault script
    for a share of the chat calls; and answers every call 429 once `refuse()` gives a reason (the
    run's cost cap was reached)."""

    def __init__(
        self,
        inner: ASGIApp,
        prefix: str,
        plan: FaultPlan,
        gateway_faults: Any,
        refuse: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.inner = inner
        self.prefix = prefix
        self.plan = plan
        self.faults = gateway_faults
        self.refuse = refuse
        self.rng = random.Random(f"model-{plan.seed}")
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith("/chat/completions")
        ):
            reason = self.refuse()
            if reason is not None:
                self.counts["refused"] += 1
                await send_response(
                    send,
                    429,
                    error_body(
                        f"walab load: {reason}",
                        type_="insufficient_quota",
                        code="insufficient_quota",
                    ),
                )
                return
            draw = self.rng.random()
            plan = self.plan
            if draw < plan.model_rate_limit:
                self.counts["rate_limit"] += 1
                self.faults.rate_limit(1)
            elif draw < plan.model_rate_limit + plan.model_server_error:
                self.counts["server_error"] += 1
                self.faults.server_error(1)
            elif draw < plan.model_rate_limit + plan.model_server_error + plan.model_slow.share:
                self.counts["slow"] += 1
                self.faults.slow(1, plan.model_slow.seconds)
        await self.inner(_unmount(scope, self.prefix), receive, send)


def _unmount(scope: Scope, prefix: str) -> Scope:
    """The scope as the inner app expects it: `prefix` back on the path, off the root path."""
    scope = dict(scope)
    scope["path"] = prefix + scope["path"]
    root = scope.get("root_path", "")
    if root.endswith(prefix):
        scope["root_path"] = root[: -len(prefix)]
    if "raw_path" in scope:
        scope["raw_path"] = scope["path"].encode()
    return scope
