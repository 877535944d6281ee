"""Kestra's HTTP failures as errors a person can act on (what, where, fix)."""

from __future__ import annotations

from typing import Any

import orjson

from lab.errors import LabError

CREDENTIALS_FIX = (
    "set KESTRA_USER and KESTRA_PASSWORD (or kestra_user / kestra_password in walab.yaml) "
    "to the basic-auth credentials of that Kestra (docker-compose.yml sets admin@kestra.io)"
)


class KestraError(LabError):
    """A call to Kestra (real or embedded) failed."""

    status: int | None = None

    def __init__(
        self,
        what: str,
        *,
        where: str | None = None,
        fix: str | None = None,
        status: int | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(what, where=where, fix=fix)
        self.status = status
        self.body = body


class KestraAuthError(KestraError):
    """401: credentials missing or wrong."""


class KestraNotFound(KestraError):
    """404: no such flow, execution, webhook key, KV key or file."""


class KestraConflict(KestraError):
    """409: the flow is disabled, or the execution is already finished."""


class WebhookSkipped(KestraConflict):
    """The webhook trigger's conditions were not met: no execution was created."""


class KestraInvalid(KestraError):
    """422 (or 400): Kestra rejected the request; `constraints` holds its reasons."""

    constraints: list[str]


class KestraGone(KestraError):
    """410: the KV value expired."""


class KestraServerError(KestraError):
    """5xx from Kestra."""


class KestraUnreachable(KestraError):
    """No connection to the Kestra URL."""


class KestraTimeout(KestraError):
    """Kestra did not answer (or the execution did not finish) in time."""


def message_of(body: bytes) -> tuple[str, list[str]]:
    """Micronaut's JsonError `message` and the `_embedded.errors[].message` list, tolerant of any body."""
    if not body:
        return "", []
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:500], []
    if not isinstance(data, dict):
        return str(data)[:500], []
    details = []
    for err in (data.get("_embedded") or {}).get("errors") or ():
        text = err.get("message") or ""
        if err.get("path") and err["path"] not in text:
            text = f"{err['path']}: {text}"
        if text and text not in str(data.get("message") or ""):
            details.append(text)
    return str(data.get("message") or ""), details


def error_for(
    status: int, body: bytes, *, url: str, what: str, subject: str | None = None
) -> KestraError:
    """The KestraError for an HTTP error answer to the call `what` (e.g. "get execution X")."""
    message, details = message_of(body)
    said = f": Kestra said {message!r}" if message else ""
    if status == 401:
        return KestraAuthError(
            f"Kestra refused to {what} without valid credentials (401)",
            where=url,
            fix=CREDENTIALS_FIX,
            status=status,
            body=body,
        )
    if status == 403:
        return KestraAuthError(
            f"Kestra forbids this user to {what} (403){said}",
            where=url,
            fix="use a user allowed on this namespace",
            status=status,
            body=body,
        )
    if status == 404:
        return KestraNotFound(
            f"{subject or 'the resource'} not found: cannot {what}{said}",
            where=url,
            fix="check the namespace, flow id, key or id (deploy the flow first: walab deploy)",
            status=status,
            body=body,
        )
    if status == 409:
        disabled = "disabled" in message.lower()
        fix = (
            "enable the flow (remove `disabled: true`) and deploy it again"
            if disabled
            else "check the flow's state and the trigger conditions"
        )
        return KestraConflict(
            f"Kestra cannot {what} (409){said}", where=url, fix=fix, status=status, body=body
        )
    if status == 410:
        return KestraGone(
            f"{subject or 'the value'} has expired: cannot {what}{said}",
            where=url,
            fix="set the value again (with a longer ttl)",
            status=status,
            body=body,
        )
    if status in (400, 422):
        err = KestraInvalid(
            f"Kestra rejected the request to {what} ({status}){said}"
            + "".join(f"\n  - {d}" for d in details),
            where=url,
            fix="correct what Kestra names above",
            status=status,
            body=body,
        )
        err.constraints = [message, *details] if message else details
        return err
    if status >= 500:
        return KestraServerError(
            f"Kestra failed to {what} ({status}){said}",
            where=url,
            fix="see the Kestra server logs (docker compose logs kestra)",
            status=status,
            body=body,
        )
    return KestraError(
        f"Kestra answered {status} to {what}{said}", where=url, status=status, body=body
    )


def unreachable(base_url: str, exc: Exception) -> KestraUnreachable:
    """No connection: say where we tried and the two ways out."""
    return KestraUnreachable(
        f"cannot reach Kestra ({type(exc).__name__}: {exc or 'connection refused'}) — is Kestra running at {base_url}?",
        where=base_url,
        fix="start it with `docker compose up -d` (wait until `curl {0}/api/v1/configs` answers), "
        "or leave the Kestra URL out (`--kestra` of chat, send and deploy, `--target` of replay and record, "
        "`--walab-target` of test, WALAB_KESTRA_URL, `kestra_url` in walab.yaml) to use the embedded engine".format(
            base_url.rstrip("/")
        ),
    )


def timed_out(base_url: str, what: str, seconds: float | None) -> KestraTimeout:
    """A call or a wait ran past its deadline."""
    limit = f" within {seconds:g} s" if seconds else ""
    return KestraTimeout(
        f"Kestra did not {what}{limit}",
        where=base_url,
        fix="check the execution in the Kestra UI, or raise the timeout",
    )
