"""`walab sandbox`: the fake WhatsApp Graph API alone, for any bot (not only Kestra flows).

Point the bot's Graph base URL at the printed address, its token at the access token, and the
sandbox's webhook URL at the bot. Secrets are printed masked, never in full; generated ones are
written to `.walab/sandbox.env` (mode 600) so the bot and curl can use them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from lab import yamlio
from lab.config import load_settings
from lab.errors import ConfigError

_OPTIONS = (
    "host",
    "port",
    "webhook_url",
    "app_secret",
    "access_token",
    "verify_token",
    "templates",
    "strict_window",
    "statuses",
    "pricing_regime",
    "graph_version",
    "handshake",
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8765)")
    parser.add_argument(
        "--webhook-url", help="the bot's webhook URL, for status updates and /_lab/inbound posts"
    )
    parser.add_argument(
        "--app-secret",
        help="app secret that signs webhooks (default: WALAB_APP_SECRET or generated)",
    )
    parser.add_argument(
        "--access-token",
        help="bearer token the bot must send (default: WALAB_ACCESS_TOKEN or generated)",
    )
    parser.add_argument(
        "--verify-token",
        help="verify token for the GET handshake (default: WALAB_VERIFY_TOKEN or generated)",
    )
    parser.add_argument(
        "--config", type=Path, help="YAML file with any of these options (underscored names)"
    )
    parser.add_argument(
        "--templates",
        type=Path,
        help="template registry file (default: ./templates.yaml if present)",
    )
    parser.add_argument(
        "--strict-window",
        action="store_true",
        default=None,
        help="reject sends outside the 24-hour window synchronously (400, 131047)",
    )
    parser.add_argument(
        "--no-statuses",
        dest="statuses",
        action="store_false",
        default=None,
        help="do not post status webhooks",
    )
    parser.add_argument(
        "--pricing-regime", choices=("pmp-2025-07", "pmp-2026-10"), help="per-message pricing card"
    )
    parser.add_argument(
        "--handshake",
        action="store_true",
        default=None,
        help="run Meta's GET verification against the webhook URL at start",
    )


def _mask(secret: str) -> str:
    return f"{secret[:4]}…{secret[-2:]} ({len(secret)} chars)" if len(secret) > 8 else "…"


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if args.config is not None:
        data = yamlio.load(args.config) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{args.config} must be a mapping", where=str(args.config))
        for key, value in data.items():
            key = key.replace("-", "_")
            if key == "version":
                continue
            if key not in _OPTIONS:
                raise ConfigError(
                    f"unknown sandbox option {key!r}",
                    where=str(args.config),
                    fix=f"known options: {', '.join(_OPTIONS)}",
                )
            opts[key] = value
    for key in _OPTIONS:
        value = getattr(args, key, None)
        if value is not None:
            opts[key] = value
    return opts


def run(args: argparse.Namespace) -> int:
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.clock import VirtualClock
    from lab.whatsapp.sandbox import GraphSandbox
    from lab.whatsapp.templates import TemplateRegistry

    opts = _options(args)
    settings = load_settings(
        **{k: opts.get(k) for k in ("host", "port", "app_secret", "access_token", "verify_token")}
    )
    url = opts.get("webhook_url")
    if url is not None and not str(url).startswith(("http://", "https://")):
        raise ConfigError(
            f"webhook URL {url!r} is not an http(s) URL",
            fix="pass the bot's full URL, e.g. http://127.0.0.1:8000/webhook",
        )
    templates_file = Path(opts["templates"]) if opts.get("templates") else None
    if templates_file is not None and not templates_file.exists():
        raise ConfigError(
            f"template file not found: {templates_file}", fix="check the --templates path"
        )
    sandbox = GraphSandbox(
        access_token=settings.access_token,
        app_secret=settings.app_secret,
        business=settings.business,
        clock=VirtualClock(),
        templates=TemplateRegistry.load(settings.project_dir, extra=templates_file),
        webhook_url=opts.get("webhook_url"),
        statuses=bool(opts.get("statuses", True)),
        strict_window=bool(opts.get("strict_window", False)),
        pricing_regime=str(opts.get("pricing_regime") or "pmp-2025-07"),
    )
    version = str(opts.get("graph_version") or settings.graph_version)
    base = f"http://{settings.host}:{settings.port}"
    print(f"walab sandbox: fake WhatsApp Graph API on {base}")
    print(
        f"  send:      POST {base}/{version}/{settings.business.phone_number_id}/messages  (any /vX.Y)"
    )
    print(f"  media:     POST {base}/{version}/{settings.business.phone_number_id}/media")
    print(
        f"  notify:    POST {base}/notify/whatsapp?token=<access token>  (Kestra WhatsApp notification tasks)"
    )
    print(
        f'  control:   POST {base}/_lab/inbound  {{"from": "5511987654321", "text": "Olá"}}'
        "  (every path wants Authorization: Bearer <access token>; notify takes it in its URL)"
    )
    print(
        f"  token:     {_mask(settings.access_token)}  app secret: {_mask(settings.app_secret)}"
        f"  verify token: {_mask(settings.verify_token)}"
    )
    given = {k for k in ("access_token", "app_secret", "verify_token") if opts.get(k)}
    given |= {
        k
        for k, var in (
            ("access_token", "WALAB_ACCESS_TOKEN"),
            ("app_secret", "WALAB_APP_SECRET"),
            ("verify_token", "WALAB_VERIFY_TOKEN"),
        )
        if os.environ.get(var)
    }
    if len(given) < 3:
        missing = sorted({"access_token", "app_secret", "verify_token"} - given)
        env_file = _write_generated(settings, missing)
        print(
            f"  note:      generated for this run: {', '.join(missing)}; never printed, written to {env_file}"
            f" (mode 600) for the bot and curl: `set -a; . {env_file}; set +a`."
            " Or give the bot's own values with --access-token/--app-secret/--verify-token or WALAB_* variables"
        )
    statuses = "status webhooks on" if sandbox.statuses_enabled else "status webhooks off"
    print(
        f"  webhook:   {sandbox.webhook_url or '(none: statuses are only recorded)'}"
        f"{f'  ({statuses})' if sandbox.webhook_url else ''}"
    )
    print(f"  templates: {len(sandbox.templates)} loaded")
    if opts.get("handshake") and sandbox.webhook_url:
        sandbox.on_startup.append(lambda: _handshake(sandbox.webhook_url, settings.verify_token))
    sys.stdout.flush()
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.whatsapp.serving import serve

    serve(sandbox, settings.host, settings.port)
    return 0


def _write_generated(settings: Any, names: list[str]) -> Path:
    """Put generated secrets where only this user can read them: the screen never shows them."""
    env_file = settings.project_dir / ".walab" / "sandbox.env"
    env_file.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"WALAB_{name.upper()}={getattr(settings, name)}" for name in names]
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# generated by `walab sandbox` for its current run\n" + "\n".join(lines) + "\n")
    os.chmod(env_file, 0o600)  # an existing file keeps its old mode through O_CREAT
    try:
        return env_file.relative_to(Path.cwd())
    except ValueError:
        return env_file


CHALLENGE = "1158201444"


async def _handshake(url: str, verify_token: str) -> None:
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.whatsapp.signing import WebhookPoster

    await asyncio.sleep(0.2)
    poster = WebhookPoster(url)
    try:
        d = await poster.verify_handshake(verify_token, challenge=CHALLENGE)
        lines = handshake_report(url, d.status_code, d.text)
    except Exception as exc:  # noqa: BLE001 - the bot may not be up yet; say so
        lines = handshake_report(url, None, None, exc)
    finally:
        await poster.aclose()
    print("\n".join(lines), flush=True)


def handshake_report(
    url: str, status: int | None, body: str | None, exc: BaseException | None = None
) -> list[str]:
    """The outcome of Meta's GET verification against the bot, and the fix when it failed."""
    if exc is not None:
        return [
            f"  handshake: could not reach {url}: {type(exc).__name__}",
            "  fix:       start the bot so it listens there (or correct --webhook-url), then restart the "
            "sandbox with --handshake; the sandbox keeps running meanwhile",
        ]
    if status == 200 and (body or "").strip() == CHALLENGE:
        return [f"  handshake: ok (HTTP {status})"]
    head = f"  handshake: FAILED (HTTP {status})"
    if status == 200:
        shown = (body or "").strip()[:60]
        return [
            f"{head}: the body was {shown!r}, not the challenge {CHALLENGE}",
            "  fix:       the bot must answer the GET with the value of hub.challenge as the whole body, as "
            "plain text (no JSON, no quotes)",
        ]
    if status in (401, 403):
        return [
            f"{head}: the bot refused the verify token",
            "  fix:       give the bot the sandbox's verify token (WALAB_VERIFY_TOKEN in .walab/sandbox.env), "
            "or start the sandbox with the bot's own: --verify-token TOKEN",
        ]
    if status in (404, 405):
        return [
            f"{head}: the bot does not answer GET at {url}",
            "  fix:       point --webhook-url at the bot's webhook path, and have that path answer GET "
            "(hub.mode=subscribe, hub.verify_token, hub.challenge) as well as POST",
        ]
    return [
        head,
        f"  fix:       the bot must answer GET {url}?hub.mode=subscribe&hub.verify_token=…&hub.challenge=… "
        "with 200 and the hub.challenge value when the verify token matches; see the bot's log for the error",
    ]
