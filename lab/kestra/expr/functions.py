"""Kestra's expression functions and tests, and `Functions`: the hooks the engine supplies."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json as _json
import os
import random
import secrets
import socket
import uuid as uuidlib
from typing import Any, Callable

import yaml as _yaml

from lab import yamlio
from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError

MAX_RENDER_DEPTH = 10
_ABSENT = object()  # an argument not given at all (Pebble tells it from one given as null)


class Functions:
    """What expressions reach outside their variables through: KV, secrets, files, the clock.

    Pass callbacks (`Functions(kv=..., now=...)`) or subclass and override the methods.

    Args:
        namespace: the flow's namespace, where `kv('key')` looks first (then parent namespaces).
        kv: `kv(namespace | None, key, error_on_missing) -> value`; replaces the lookup entirely.
        kv_get: simpler: `kv_get(namespace, key) -> value`, raising KeyError when absent or expired;
            `kv()` then searches parent namespaces and words the errors as Kestra does.
        secret: `secret(name) -> str`; default reads `SECRET_<NAME>` env vars, base64-decoded.
        read: `read(path) -> str` for namespace files and `kestra://` URIs.
        now: `now() -> aware datetime` (the engine's clock).
        error_logs: `error_logs() -> list of log maps` (ERROR logs of the execution, for `errorLogs()`).
        env: environment for secrets (default `os.environ`).
        version: the Kestra version emulated ("1.3" keeps the `json` filter and function).
    """

    def __init__(
        self,
        *,
        namespace: str | None = None,
        kv: Callable | None = None,
        kv_get: Callable[[str, str], Any] | None = None,
        secret: Callable[[str], str] | None = None,
        read: Callable[[str], str] | None = None,
        now: Callable[[], dt.datetime] | None = None,
        env: dict[str, str] | None = None,
        version: str = "1.3",
        error_logs: Callable[[], list[dict]] | None = None,
    ) -> None:
        self.namespace = namespace
        self._error_logs = error_logs
        self._kv, self._kv_get, self._secret, self._read, self._now = kv, kv_get, secret, read, now
        self.env = env
        self.version = version

    def kv(self, namespace: str | None, key: str, error_on_missing: bool = True) -> Any:
        """A KV value; `namespace=None` searches the flow namespace then its parents."""
        if self._kv is not None:
            return self._kv(namespace, key, error_on_missing)
        if self._kv_get is None:
            raise ExpressionError(
                "kv() is not available here: no KV store is attached",
                fix="render this expression inside a flow execution",
            )
        flow_ns = self.namespace or ""
        candidates = [namespace] if namespace else _parents(flow_ns)
        for ns in candidates:
            try:
                return self._kv_get(ns, key)
            except KeyError:
                continue
        if error_on_missing:
            raise ExpressionError(
                f"The key '{key}' does not exist in the namespace '{namespace or flow_ns}'.",
                fix="set it first (io.kestra.plugin.core.kv.Set) or pass errorOnMissing=false",
            )
        return None

    def secret(self, name: str) -> str:
        """`SECRET_<NAME>` from the environment, base64-decoded (Kestra OSS)."""
        if self._secret is not None:
            return self._secret(name)
        env = os.environ if self.env is None else self.env
        raw = env.get("SECRET_" + name.upper())
        if raw is None:
            raise ExpressionError(
                f"Cannot find secret for key '{name}'.",
                fix=f"export SECRET_{name.upper()} with the base64-encoded value",
            )
        try:
            return base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ExpressionError(
                f"secret '{name}' is not base64-encoded",
                fix=f"SECRET_{name.upper()} must hold base64 (e.g. `echo -n value | base64`)",
            ) from None

    def read(self, path: str) -> str:
        if self._read is not None:
            content = self._read(path)
            return content.decode("utf-8") if isinstance(content, bytes) else content
        raise ExpressionError(
            f"read({path!r}) is not available here: no namespace files are attached"
        )

    def error_logs(self) -> list[dict]:
        """The execution's ERROR logs (`errorLogs()` in an `errors` branch)."""
        if self._error_logs is not None:
            return self._error_logs()
        raise ExpressionError(
            "errorLogs() is not available here: no execution logs are attached",
            fix="use errorLogs() inside a flow execution",
        )

    def now(self) -> dt.datetime:
        return self._now() if self._now is not None else dt.datetime.now(dt.timezone.utc)


def _parents(namespace: str) -> list[str]:
    parts = namespace.split(".") if namespace else [""]
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


# ----------------------------------------------------------------------------- functions (ctx first)
def render_function(recursive_default: bool):
    """RenderFunction / RenderOnceFunction: the argument is `template` (`toRender` in older Kestra
    docs, accepted too); `recursive` must be a boolean."""

    def render(
        ctx: Any, template: Any = _ABSENT, recursive: Any = None, toRender: Any = _ABSENT
    ) -> Any:  # noqa: N803
        value = template if template is not _ABSENT else toRender
        if value is _ABSENT:
            raise ExpressionError("The 'render' function expects an argument 'template'.")
        if recursive is None:
            recursive = recursive_default
        if not isinstance(recursive, bool):
            raise ExpressionError(
                "The 'render' function expects an optional argument 'recursive' with type boolean."
            )
        return render_value(ctx, value, recursive)

    return render


def render_value(ctx: Any, toRender: Any, recursive: bool = True) -> Any:  # noqa: N803 - Pebble's name
    """`render()`: re-render a value (strings, and the strings inside maps and lists)."""
    value = toRender
    from lab.kestra.expr import api  # the template layer sits above this module

    if isinstance(value, str):
        depth = ctx.depth + 1
        if depth > MAX_RENDER_DEPTH:
            raise ExpressionError(
                f"Maximum render() nesting depth ({MAX_RENDER_DEPTH}) exceeded",
                fix="a variable renders itself (directly or through others)",
            )
        text = api.compile_template(value).render(ctx.vars, ctx.fx, depth)
        while recursive and text != value and ("{{" in text or "{%" in text):
            depth += 1
            if depth > MAX_RENDER_DEPTH:
                raise ExpressionError(
                    f"Maximum render() nesting depth ({MAX_RENDER_DEPTH}) exceeded",
                    fix="a variable renders itself (directly or through others)",
                )
            value, text = text, api.compile_template(text).render(ctx.vars, ctx.fx, depth)
        return text
    if isinstance(value, dict):
        return {k: render_value(ctx, v, recursive) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(ctx, v, recursive) for v in value]
    return value


def from_json(ctx: Any, json: Any = _ABSENT) -> Any:  # noqa: A002 - Pebble's argument name
    """FromJsonFunction: null stays null; only a string is read."""
    if json is _ABSENT:
        raise ExpressionError("The 'fromJson' function expects an argument 'json'.")
    if json is None:
        return None
    if not isinstance(json, str):
        raise ExpressionError(
            "The 'fromJson' function expects an argument 'json' with type string.",
            fix=f"it got {V.type_name(json)}, which needs no parsing",
        )
    try:
        return _json.loads(json)
    except ValueError as exc:
        raise ExpressionError(f"Invalid json: {exc}") from None


def kv(ctx: Any, key: str, namespace: str | None = None, errorOnMissing: bool = True) -> Any:  # noqa: N803
    return ctx.fx.kv(namespace, key, errorOnMissing)


def random_int(ctx: Any, lower: Any = _ABSENT, upper: Any = _ABSENT) -> int:
    """RandomIntFunction: two integers, lower included, upper excluded (Kestra's own wording,
    `randomIn()` included)."""
    for name, bound in (("lower", lower), ("upper", upper)):
        if bound is _ABSENT:
            raise ExpressionError(f"The 'randomIn()' function expects an argument {name}")
        if not isinstance(bound, int) or isinstance(bound, bool):
            raise ExpressionError(
                f"The 'randomIn()' function expects an argument {name} of type Long.",
                fix=f"{name} is {V.type_name(bound)}; give an integer",
            )
    if upper < lower:
        raise ExpressionError("In 'randomIn()' upper is less than lower")
    return lower if upper == lower else random.randrange(lower, upper)


def _random_port(ctx: Any) -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tasks_with_state(ctx: Any, state: Any = _ABSENT) -> list:
    """TasksWithStateFunction: the tasks (and the values of a ForEach, one level down) whose state
    is `state`, compared in upper case; a task's own entry carries no `value`."""
    if state is _ABSENT:
        raise ExpressionError("The 'tasksWithState' function expects an argument 'state'.")
    wanted = V.to_text(state).upper()
    found: list = []
    for task_id, node in (ctx.vars.get("tasks") or {}).items():
        if not isinstance(node, dict):
            continue
        for key, entry in node.items():
            if key == "state" and isinstance(entry, str):
                if entry.upper() == wanted:
                    found.append({"taskId": task_id, "state": entry.upper()})
            elif isinstance(entry, dict) and isinstance(entry.get("state"), str):
                if entry["state"].upper() == wanted:
                    found.append({"taskId": task_id, "state": entry["state"].upper(), "value": key})
    return found


def loop_outputs(ctx: Any, outputs: Any = None, name: Any = None) -> list:
    """LoopOutputsFunction (2.0): one output `name` of every iteration (null where it has none)."""
    if outputs is None:
        raise ExpressionError("The 'loopOutputs' function expects a non-null argument 'outputs'.")
    if not isinstance(outputs, list):
        raise ExpressionError("The 'loopOutputs' function expects 'outputs' to be a list.")
    if name is None:
        raise ExpressionError("The 'loopOutputs' function expects a non-null argument 'name'.")
    if not isinstance(name, str):
        raise ExpressionError("The 'loopOutputs' function expects 'name' to be a string.")
    found = []
    for item in outputs:
        iteration = item.get("outputs") if isinstance(item, dict) else None
        found.append(iteration.get(name) if isinstance(iteration, dict) else None)
    return found


def current_each_output(ctx: Any, outputs: Any) -> Any:
    """1.3 ForEach: the output of the current iteration (walks `parents` values then `taskrun.value`)."""
    values = [p.get("taskrun", {}).get("value") for p in reversed(ctx.vars.get("parents") or [])]
    values.append((ctx.vars.get("taskrun") or {}).get("value"))
    for value in values:
        if isinstance(outputs, dict) and value in outputs:
            outputs = outputs[value]
    return outputs


def env_function(ctx: Any, name: Any = _ABSENT, default: Any = None) -> Any:
    """EnvFunction (2.0): `envs[name]`, the default when it is absent or empty."""
    if name is _ABSENT:
        raise ExpressionError("The 'env' function expects an argument 'name'.")
    envs = ctx.vars.get("envs")
    if not isinstance(envs, dict):
        return default
    value = envs.get(name)
    return default if value is None or V.to_text(value) == "" else value


def block(ctx: Any, name: str) -> str:
    body = (ctx.blocks or {}).get(name)
    if body is None:
        raise ExpressionError(f"block({name!r}): no such block in this template")
    out: list[str] = []
    body(ctx, out)
    return "".join(out)


def _extreme(name: str, greater: bool):
    """Pebble's MaxFunction / MinFunction: the largest / smallest of the arguments (null if none)."""
    from lab.kestra.expr.operators import BINARY_OPS  # operators sit beside this module

    beats = BINARY_OPS[">" if greater else "<"]

    def extreme(ctx: Any, *args: Any) -> Any:
        best = None
        for candidate in args:
            if best is None or beats(candidate, best):
                best = candidate
        return best

    return extreme


def _range(start: int, end: int, step: int = 1) -> list:
    """Pebble's range(): both bounds included."""
    if not step:
        raise ExpressionError("range() step must not be 0")
    count = (end - start) // step + 1
    if count > 1_000_000:
        raise ExpressionError(f"range({start}, {end}) has more than 1000000 items")
    return list(range(start, end + (1 if step > 0 else -1), step))


def _uuid(ctx: Any) -> str:
    return str(uuidlib.uuid4())


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _random_id(default_length: int, default_alphabet: str = _BASE62):
    """Kestra's id() (22 base62 chars), ksuid() (27) and nanoId(length=21, alphabet=URL-safe) shapes;
    NanoIDFunction ignores a length that is not an integer and refuses one above 1000."""

    def random_id(ctx: Any, length: Any = None, alphabet: Any = None) -> str:
        size = default_length
        if isinstance(length, int) and not isinstance(length, bool):
            if length > MAX_NANO_ID:
                raise ExpressionError(
                    f"The 'nanoId()' function field 'length' must be lower than: {MAX_NANO_ID}"
                )
            size = length
        chars = alphabet if isinstance(alphabet, str) and alphabet else default_alphabet
        return "".join(secrets.choice(chars) for _ in range(size))

    return random_id


MAX_NANO_ID = 1000


def _from_yaml(text: str) -> Any:
    """yaml(): the text parsed within the lab's YAML limits (it may come from a webhook body)."""
    try:
        return yamlio.parse(text)
    except _yaml.YAMLError as exc:
        problem = (
            exc.problem if isinstance(exc, _yaml.MarkedYAMLError) and exc.problem else str(exc)
        )
        raise ExpressionError(
            f"yaml(): the text is not YAML the lab reads: {problem}",
            fix=getattr(exc, "fix", None) or "pass valid YAML",
        ) from None


def _yaml_function(yaml: Any) -> Any:  # noqa: A002
    """YamlFunction: the argument is required and must be a string (null included)."""
    if yaml is _ABSENT:
        raise ExpressionError("The 'yaml' function expects an argument 'yaml'.")
    if not isinstance(yaml, str):
        raise ExpressionError(
            "The 'yaml' function expects an argument 'yaml' with type string.",
            fix=f"it got {V.type_name(yaml)}",
        )
    return _from_yaml(yaml)


def _secret(ctx: Any, key: Any, subkey: Any) -> str:
    """SecretFunction: the secret's value, or one `subkey` of a secret holding JSON."""
    if key is _ABSENT:
        raise ExpressionError("The 'secret' function expects an argument 'key'.")
    value = ctx.fx.secret(key)
    if not subkey:
        return value
    try:
        parsed = _json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ExpressionError(
            f"Failed to read secret sub-key '{subkey}' from secret '{key}'. Ensure the secret "
            "contains valid JSON value."
        )
    if subkey not in parsed:
        raise ExpressionError(f"Cannot find secret sub-key '{subkey}' in secret '{key}'.")
    found = parsed[subkey]
    return found if isinstance(found, str) else V.to_json(found, include_nulls=True)


def _read(ctx: Any, path: Any) -> str:
    """ReadFileFunction: a namespace file or a kestra:// URI, as text."""
    if not isinstance(path, str) or not path:
        raise ExpressionError(
            "The 'read' function expects an argument 'path' that is a path to a namespace file or "
            "an internal storage URI."
        )
    return ctx.fx.read(path)


def _json_v13(ctx: Any, json: Any) -> Any:  # noqa: A002
    if getattr(ctx.fx, "version", "1.3").startswith("2"):
        raise ExpressionError("json() was removed in Kestra 2.0", fix="use fromJson()")
    return from_json(ctx, json)


FUNCTIONS: dict[str, Callable] = {
    "render": render_function(True),
    "renderOnce": render_function(False),
    "fromJson": from_json,
    "jsonDecode": from_json,
    "json": _json_v13,
    "yaml": lambda ctx, yaml=_ABSENT: _yaml_function(yaml),
    "kv": kv,
    "secret": lambda ctx, key=_ABSENT, namespace=None, subkey=None, full=None: _secret(
        ctx, key, subkey
    ),
    "read": lambda ctx, path=None, namespace=None, version=None, revision=None: _read(ctx, path),
    "range": lambda ctx, start, end, increment=1: _range(start, end, increment),
    "max": _extreme("max", greater=True),
    "min": _extreme("min", greater=False),
    "printContext": lambda ctx: ctx.vars,  # registered to FetchContextFunction: the map itself
    "fetchContext": lambda ctx: ctx.vars,
    "uuid": _uuid,
    "id": _random_id(22),
    "ksuid": _random_id(27),
    "nanoId": _random_id(21, "_-" + _BASE62),
    "randomInt": random_int,
    "randomPort": _random_port,
    "tasksWithState": tasks_with_state,
    "loopOutputs": loop_outputs,
    "currentEachOutput": current_each_output,
    "env": env_function,
    "block": block,
    "errorLogs": lambda ctx: ctx.fx.error_logs(),
}


# ----------------------------------------------------------------------------- tests (`is ...`)
def _is_json(value: Any) -> bool:
    """JsonTest: a map or a list is JSON; a string is when Jackson reads a JSON value at its start
    (readTree stops after the first value and reads empty text as a missing node)."""
    if isinstance(value, (dict, list, tuple)):
        return True
    if not isinstance(value, str):
        return False
    text = value.lstrip()
    if not text:
        return True
    try:
        _json.JSONDecoder().raw_decode(text)
    except ValueError:
        return False
    return True


def _parity(value: Any, name: str) -> int:
    """EvenTest / OddTest: an integer's remainder by 2; null and decimals are refused."""
    if value is None:
        raise ExpressionError(f'Can not pass null value to "{name}" test.')
    if not isinstance(value, int) or isinstance(value, bool):
        raise ExpressionError(
            f'the "{name}" test needs an integer, got {V.type_name(value)} {V.to_text(value)!r}'
        )
    return value % 2


TESTS: dict[str, Callable] = {
    "null": lambda v: v is None,
    "empty": V.is_empty,
    "even": lambda v: _parity(v, "even") == 0,
    "odd": lambda v: _parity(v, "odd") == 1,
    "iterable": lambda v: isinstance(v, (list, tuple)),  # IterableTest: a Map is not Iterable
    "map": lambda v: isinstance(v, dict),
    "json": _is_json,
    "divisibleBy": lambda v, n: V.as_number(v, "is divisibleBy") % n == 0,
}
