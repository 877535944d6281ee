"""Kestra's OpenAPI document as the contract of walab's REST API, checked with openapi-core.

`Contract(dialect)` loads the trimmed copy of Kestra's published document for "1.3" or "2.0"
(`kestra-<dialect>.yml` here, see trim_openapi.py for its origin). `ContractRecorder(app)` wraps
the embedded API's ASGI app and keeps every exchange, whoever the caller is (KestraClient through
httpx, kestrapy or kestra-api-client over loopback, a script's `kestra.Flow`); `problems()` then
lists each response (and, with `requests=True`, each request) the document rejects.

Why openapi-core: it is the maintained validator that resolves Kestra's path templates, parameters,
media types and status codes the way the document states them (jsonschema alone would check bodies
only). SSE streams (`text/event-stream`) are beyond it: each event is checked here against the
schema the document gives the stream (`Event_Execution_`: `{id, data: Execution}`).

A status the document does not describe is a problem for a success (2xx: Kestra would answer what
it documents) and allowed for an error (Kestra's 404/409/422 are Micronaut JsonErrors the document
leaves out; tests compare those with contract fixtures).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl

import orjson
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

HERE = Path(__file__).parent


# Kestra's document writes Java regexes; Python's `re` (which validators use) lacks \p{..} classes.
_JAVA_CLASSES = {"[\\p{Ll}]": "[^\\W\\d_A-Z]", "[\\p{L}0-9._-]": "(?:[^\\W\\d_]|[0-9._-])"}


@functools.cache
def _document(dialect: str) -> dict[str, Any]:
    doc = yaml.load(
        (HERE / f"kestra-{dialect}.yml").read_text(),
        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
    )
    _python_patterns(doc)
    schemas = doc["components"]["schemas"]
    for name in schemas:
        if name.startswith("Property_"):
            schemas[name] = {}
    return doc


def _python_patterns(node: Any) -> None:
    """Adapt two habits of Kestra's generator to a Python validator, in place:

    - Java patterns: the Unicode classes `\\p{Ll}` (lower-case letter) and `\\p{L}` (letter);
    - a Java `Object` field is written `type: object` with nothing else, yet holds any JSON value
      (a KV value, an output): such a schema becomes the empty schema, which accepts any value;
    - a getter the generator listed beside its property (`getDuration` beside `duration`, marked
      required) is not required: Kestra serialises the property, never the getter;
    - a flow's `labels` (`oneOf` a map only) may also be the list of `Label`s Kestra actually writes
      (its `List<Label>` goes through `ListOrMapOfLabelSerializer`, which writes a list as a list);
    - a `Property<T>` (`Property_String_`, ...) is documented as an object of `expression` and `value`,
      yet Kestra writes it as the bare expression or value (`Property`'s `@JsonValue`): any value.
    """
    if isinstance(node, dict):
        labels = (node.get("properties") or {}).get("labels")
        if isinstance(labels, dict) and [a.get("$ref", "") for a in labels.get("oneOf") or ()] == [
            "#/components/schemas/Map_Object.Object_"
        ]:
            labels["oneOf"] = [
                *labels["oneOf"],
                {"type": "array", "items": {"$ref": "#/components/schemas/Label"}},
            ]
        if isinstance(node.get("pattern"), str):
            for java, python in _JAVA_CLASSES.items():
                node["pattern"] = node["pattern"].replace(java, python)
        required = node.get("required")
        if isinstance(
            required, list
        ):  # `getDuration`-style names: Java getters the generator also listed
            names = set(node.get("properties") or ())
            node["required"] = [
                r
                for r in required
                if not (r.startswith("get") and r[3:4].isupper() and r[3].lower() + r[4:] in names)
            ]
        for key, value in list(node.items()):
            if isinstance(value, dict) and value == {"type": "object"}:
                node[key] = {}
            else:
                _python_patterns(value)
    elif isinstance(node, list):  # oneOf/anyOf alternatives keep their `type: object`
        for value in node:
            _python_patterns(value)


@dataclass
class Exchange:
    """One request and its response as the ASGI app saw them."""

    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""

    def __str__(self) -> str:
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''} -> {self.status}"


class _Request:
    def __init__(self, exchange: Exchange) -> None:
        self.host_url = "http://127.0.0.1"
        self.path = exchange.path
        self.full_url_pattern = self.host_url + exchange.path
        self.method = exchange.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(exchange.query, keep_blank_values=True)),
            header=Headers(exchange.request_headers),
        )
        self.content_type = exchange.request_headers.get("content-type", "")
        self.body = exchange.request_body or None


class _Response:
    def __init__(self, exchange: Exchange) -> None:
        self.status_code = exchange.status
        self.headers = Headers(exchange.response_headers)
        self.content_type = exchange.response_headers.get("content-type", "")
        self.data = exchange.response_body or None


class Contract:
    """The document of one dialect, able to judge exchanges."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.document = _document(dialect)
        self.openapi = OpenAPI.from_dict(
            self.document,
            config=Config(
                extra_media_type_deserializers={
                    "application/x-yaml": _text,
                    "text/plain": _text,
                    "text/json": orjson.loads,
                }
            ),
        )

    def operation(self, exchange: Exchange) -> dict[str, Any] | None:
        """The document's operation for this method and path (tenant `main`), None when undocumented."""
        for template, item in self.document["paths"].items():
            if _matches(template, exchange.path) and exchange.method.lower() in item:
                return item[exchange.method.lower()]
        return None

    def response_problems(self, exchange: Exchange) -> list[str]:
        operation = self.operation(exchange)
        if operation is None:
            if exchange.status in (404, 405):  # what Kestra answers for a route it does not have
                return []
            return [
                f"{exchange}: {exchange.method} {exchange.path} is not an operation of Kestra {self.dialect}'s API"
            ]
        documented = operation.get("responses", {})
        if str(exchange.status) not in documented and "default" not in documented:
            if exchange.status >= 400:
                return []
            return [
                f"{exchange}: Kestra {self.dialect} answers {'/'.join(documented)} here, not {exchange.status}"
            ]
        if exchange.response_headers.get("content-type", "").startswith("text/event-stream"):
            return self._sse_problems(exchange, documented[str(exchange.status)])
        try:
            self.openapi.validate_response(_Request(exchange), _Response(exchange))
        except Exception as exc:  # noqa: BLE001 - every validation error is reported with its exchange
            return [f"{exchange}: {_explain(exc)}"]
        return []

    def request_problems(self, exchange: Exchange) -> list[str]:
        if self.operation(exchange) is None:
            return [
                f"{exchange}: {exchange.method} {exchange.path} is not an operation of Kestra {self.dialect}'s API"
            ]
        try:
            self.openapi.validate_request(_Request(exchange))
        except Exception as exc:  # noqa: BLE001
            return [f"{exchange} (request): {_explain(exc)}"]
        return []

    def _sse_problems(self, exchange: Exchange, response: dict[str, Any]) -> list[str]:
        schema = (response.get("content") or {}).get("text/event-stream", {}).get("schema")
        if schema is None:
            return [f"{exchange}: the document gives this operation no event-stream schema"]
        validator = OAS30Validator({**schema, "components": self.document["components"]})
        problems = []
        for event in _sse_events(exchange.response_body):
            if event.get("id") == "start":
                continue  # Kestra's follow streams open with a placeholder (`{"id": …}`, an empty log entry)
            for error in validator.iter_errors(event):
                where = "/".join(str(p) for p in error.absolute_path)
                problems.append(
                    f"{exchange}: event {event.get('id')!r} at {where or '(root)'}: {error.message}"
                )
        return problems


class ContractRecorder:
    """ASGI middleware that keeps every exchange of the wrapped app."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            b"",
        )
        self.exchanges.append(exchange)

        async def recording_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                exchange.request_body += message.get("body", b"")
            return message

        async def recording_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                exchange.response_body += message.get("body", b"")
            await send(message)

        await self.app(scope, recording_receive, recording_send)

    def problems(self, contract: Contract, *, requests: bool = False) -> list[str]:
        """What the document rejects in the recorded responses (and requests)."""
        found: list[str] = []
        for exchange in self.exchanges:
            if requests:
                found += contract.request_problems(exchange)
            found += contract.response_problems(exchange)
        return found

    def operations(self, contract: Contract) -> set[str]:
        """The document's operationIds the recorded exchanges exercised with a success."""
        return {
            op["operationId"]
            for e in self.exchanges
            if e.status < 400 and (op := contract.operation(e))
        }


def _text(body: bytes | str) -> str:
    return body.decode("utf-8") if isinstance(body, bytes) else body


def _matches(template: str, path: str) -> bool:
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(
        w == g or (w.startswith("{") and w.endswith("}") and (w != "{tenant}" or g == "main"))
        for w, g in zip(want, got)
    )


def _sse_events(body: bytes) -> list[dict[str, Any]]:
    events = []
    for block in body.decode("utf-8", "replace").split("\n\n"):
        event: dict[str, Any] = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                event["data"] = orjson.loads(value)
            elif name in ("id", "event", "retry"):
                event["name" if name == "event" else name] = value
        if event:
            events.append(event)
    return events


def _explain(exc: Exception) -> str:
    """The validator's verdict: each schema error with where it is, else the error chain, shortened."""
    chain, cause = [], exc
    while cause is not None:
        details = getattr(cause, "schema_errors", None)
        if details:
            return f"{type(exc).__name__}: " + "; ".join(_schema_error(e) for e in details)
        chain.append(f"{type(cause).__name__}: {str(cause)[:300]}")
        cause = cause.__cause__ or cause.__context__
    return " <- ".join(chain)


def _schema_error(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    best = error
    while best.context:  # oneOf/anyOf: the deepest reason says most
        best = min(best.context, key=lambda e: -len(e.absolute_path))
    message = best.message if len(best.message) < 300 else best.message[:300] + "…"
    return f"{where}: {message}"
