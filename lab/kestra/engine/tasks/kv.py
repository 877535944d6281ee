"""KV store tasks: Get, Set, Put, Delete, GetKeys (io.kestra.plugin.core.kv.*)."""

from __future__ import annotations

from typing import Any

from lab.kestra.engine.flow import CORE, seconds
from lab.kestra.engine.store import KVExpired
from lab.kestra.engine.tasks.base import Prop, RunnableTask, TaskFailed, register


def _namespace(ctx: Any, props: dict[str, Any]) -> str:
    ns = props.get("namespace")
    return ctx.render_str(ns) if ns else ctx.namespace


def _namespace_and_key(ctx: Any, props: dict[str, Any]) -> tuple[str, str]:
    """The rendered namespace (the flow's when none is given) and the rendered `key`."""
    return _namespace(ctx, props), ctx.render_str(props.get("key"))


# The properties of a task that reads or removes one key and may fail when it is missing.
_ONE_KEY_PROPS = {
    "key": Prop("string", required=True),
    "namespace": Prop("string"),
    "errorOnMissing": Prop("bool"),
}


@register
class KVGet(RunnableTask):
    """Read a key; a missing key gives no `value` unless `errorOnMissing`."""

    TYPE = CORE + "kv.Get"
    PROPERTIES = _ONE_KEY_PROPS

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        ns, key = _namespace_and_key(ctx, props)
        try:
            return {"value": ctx.kv.get(ns, key)}
        except KVExpired:
            if props.get("errorOnMissing", False):
                raise TaskFailed(
                    f"The requested value for key '{key}' in namespace '{ns}' has expired"
                ) from None
        except KeyError:
            if props.get("errorOnMissing", False):
                raise TaskFailed(
                    f"No value found for key '{key}' in namespace '{ns}' "
                    "and `errorOnMissing` is set to true"
                ) from None
        return {}


@register
class KVSet(RunnableTask):
    """Write a key (typed with `kvType`, optional `ttl`)."""

    TYPE = CORE + "kv.Set"
    PROPERTIES = {
        "key": Prop("string", required=True),
        "value": Prop("any", required=True),
        "namespace": Prop("string"),
        "overwrite": Prop("bool"),
        "ttl": Prop("duration"),
        "kvType": Prop("string"),
        "kvDescription": Prop("string"),
    }

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        ns, key = _namespace_and_key(ctx, props)
        value = ctx.render_typed(props.get("value"))
        if not props.get("overwrite", True) and key in ctx.kv.keys(ns):
            raise TaskFailed(
                f"Cannot set value for key '{key}'. Key already exists and `overwrite` is set to `false`."
            )
        ttl = seconds(ctx.render_str(props["ttl"])) if props.get("ttl") else None
        kind = ctx.render_str(props["kvType"]) if props.get("kvType") else None
        description = ctx.render_str(props["kvDescription"]) if props.get("kvDescription") else None
        try:
            ctx.kv.set(ns, key, value, ttl=ttl, kind=kind, description=description)
        except (ValueError, TypeError) as exc:
            raise TaskFailed(f"Cannot store {value!r} as {kind}: {exc}") from None
        return {}


def _deep_merge(base: Any, new: Any) -> Any:
    if isinstance(base, dict) and isinstance(new, dict):
        out = dict(base)
        for k, v in new.items():
            out[k] = _deep_merge(base.get(k), v)
        return out
    return new


@register
class KVPut(RunnableTask):
    """Write a key, deep-merging maps into an existing map value."""

    TYPE = CORE + "kv.Put"
    PROPERTIES = {
        "key": Prop("string", required=True),
        "value": Prop("any", required=True),
        "namespace": Prop("string"),
        "errorOnMissing": Prop("bool"),
    }

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        ns, key = _namespace_and_key(ctx, props)
        value = ctx.render_typed(props.get("value"))
        try:
            entry = ctx.kv.entry(ns, key)
            ctx.kv.set(ns, key, _deep_merge(entry.value, value))
        except KeyError:
            if props.get("errorOnMissing", False):
                raise TaskFailed(f"No value found for key '{key}' in namespace '{ns}'") from None
            ctx.kv.set(ns, key, value)
        return {}


@register
class KVDelete(RunnableTask):
    """Delete a key; `deleted` tells whether it existed."""

    TYPE = CORE + "kv.Delete"
    PROPERTIES = _ONE_KEY_PROPS

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        ns, key = _namespace_and_key(ctx, props)
        deleted = ctx.kv.delete(ns, key)
        if not deleted and props.get("errorOnMissing", False):
            raise TaskFailed(f"No value found for key '{key}' in namespace '{ns}'")
        return {"deleted": deleted}


@register
class KVGetKeys(RunnableTask):
    """List the keys of a namespace (optionally by `prefix`)."""

    TYPE = CORE + "kv.GetKeys"
    PROPERTIES = {"prefix": Prop("string"), "namespace": Prop("string")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        prefix = ctx.render_str(props["prefix"]) if props.get("prefix") else ""
        return {"keys": ctx.kv.keys(_namespace(ctx, props), prefix)}
