"""Flow-level `pluginDefaults` (older name `taskDefaults`) of Kestra 1.3, applied once at deploy.

What Kestra 1.3 does (PluginDefaultService, MapUtils.deepMerge; release 1.3.25):
- Every map of the flow that has a string `type` is a plugin: tasks at any depth, triggers, and
  nested plugin properties (taskRunner, an AI provider, conditions...). A default applies when its
  `type` equals the plugin's or is a plain string prefix of it (`startsWith`, no dot boundary).
- Two passes over the whole flow: the non-forced defaults, then the forced ones. A non-forced
  default only fills what is unset (`deepMerge(values, plugin)`: the plugin wins); a forced one
  overrides (`deepMerge(plugin, values)`: the default wins). Among several defaults of one `type`,
  list order decides: the first non-forced one wins, the last forced one wins.
- The merge is deep: maps merge key by key, a null on the winning side keeps the other value, and
  two lists are concatenated, the losing side's items first, then the winning side's items that
  are not already in it. Any other pair: the winning side's value.
- A default declared with a plugin alias also applies under the canonical type name.
- `taskDefaults` is read only when `pluginDefaults` is absent (null).
Kestra 2.0 removed both keys; validation refuses them there.
"""

from __future__ import annotations

import copy
from typing import Any

FIELDS = ("pluginDefaults", "taskDefaults")
ENTRY_KEYS = ("type", "forced", "values")


def declared(data: dict[str, Any]) -> tuple[str, Any] | None:
    """The defaults block Kestra reads: (`pluginDefaults`, block), else (`taskDefaults`, block), else None."""
    for name in FIELDS:
        if data.get(name) is not None:
            return name, data[name]
    return None


def entries(data: dict[str, Any]) -> list[tuple[str, bool, dict[str, Any]]]:
    """The well-formed (type, forced, values) defaults of a flow, in declaration order, plus a copy
    under the canonical type of each default declared with an alias (Kestra's addAliases)."""
    found = declared(data)
    if found is None or not isinstance(found[1], list):
        return []
    out = [
        (e["type"], forced_flag(e.get("forced")) is True, e["values"])
        for e in found[1]
        if isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and isinstance(e.get("values"), dict)
        and "ref" not in e
    ]
    aliased = []
    for type_name, forced, values in out:
        canonical = canonical_plugin(type_name)
        if canonical is not None and canonical != type_name:
            aliased.append((canonical, forced, values))
    return out + aliased


def forced_flag(value: Any) -> bool | None:
    """`forced` as Jackson reads it (a boolean, or the string true/false); None when it is neither."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def canonical_plugin(type_name: str) -> str | None:
    """The canonical type of a plugin the engine knows by this name, or of a core alias (a condition's,
    a trigger's), else None."""
    # cycle: lab.kestra.engine.known_types imports this module (via lab.kestra.engine.flow)
    from lab.kestra.engine import known_types

    # cycle: lab.kestra.engine.flow imports this module
    from lab.kestra.engine.flow import FLOWABLE_BLOCKS, TYPE_ALIASES

    # cycle: lab.kestra.engine.tasks imports this module (via lab.kestra.engine.flow)
    from lab.kestra.engine.tasks import load_all

    # cycle: lab.kestra.engine.tasks.base imports this module (via lab.kestra.engine.flow)
    from lab.kestra.engine.tasks.base import REGISTRY

    load_all()
    if type_name in TYPE_ALIASES:
        return TYPE_ALIASES[type_name]
    cls = REGISTRY.get(type_name)
    if cls is not None:
        return cls.TYPE
    if type_name in known_types.ALIASES:
        return known_types.ALIASES[type_name]
    return type_name if type_name in FLOWABLE_BLOCKS else None


def apply(data: dict[str, Any]) -> dict[str, Any]:
    """The flow with its plugin defaults merged into every matching plugin (a new structure; `data`
    is not changed). Flows without defaults are returned as they are."""
    defaults = entries(data)
    if not defaults:
        return data
    body = {k: v for k, v in data.items() if k not in FIELDS}
    non_forced = _by_type([d for d in defaults if not d[1]])
    forced = _by_type([d for d in defaults if d[1]])
    if non_forced:
        body = _walk(body, non_forced)
    if forced:
        body = _walk(body, forced)
    body.update({k: data[k] for k in FIELDS if k in data})
    return body


def _by_type(
    defaults: list[tuple[str, bool, dict[str, Any]]],
) -> list[tuple[str, list[tuple[bool, dict[str, Any]]]]]:
    """Defaults grouped by `type`, the groups in the order Kestra iterates them: its
    Collectors.groupingBy builds a java.util.HashMap, so an exact-type and a prefix default
    setting the same key are applied in the HashMap's bucket order, reproduced here."""
    groups: dict[str, list[tuple[bool, dict[str, Any]]]] = {}
    capacity = 16
    for type_name, forced, values in defaults:
        if (
            len(groups) > capacity * 3 // 4
        ):  # computeIfAbsent resizes before its lookup, not after an insert
            capacity *= 2
        groups.setdefault(type_name, []).append((forced, values))
    # computeIfAbsent puts a new key at the head of its bucket; resizing keeps the order within one.
    order = {k: -i for i, k in enumerate(groups)}
    return sorted(groups.items(), key=lambda kv: (_bucket(kv[0], capacity), order[kv[0]]))


def _bucket(key: str, capacity: int) -> int:
    """java.util.HashMap's bucket of a String key: String.hashCode spread by (h ^ h >>> 16)."""
    h = 0
    units = key.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i : i + 2], "little")) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & (capacity - 1)


def _walk(obj: Any, groups: list[tuple[str, list[tuple[bool, dict[str, Any]]]]]) -> Any:
    """Children first, then the map itself when it is a plugin (Kestra's recursiveDefaults)."""
    if isinstance(obj, dict):
        out = {k: _walk(v, groups) for k, v in obj.items()}
        plugin_type = out.get("type")
        if isinstance(plugin_type, str):
            for type_name, group in groups:
                if plugin_type.startswith(type_name):
                    for forced, values in group:
                        out = deep_merge(out, values) if forced else deep_merge(values, out)
        return out
    if isinstance(obj, list):
        return [_walk(v, groups) for v in obj]
    return obj


def deep_merge(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    """Kestra's MapUtils.deepMerge: `b` wins; maps merge, lists concatenate (a, then b's new items)."""
    if a is None and b is None:
        return None
    if not a:
        return copy.deepcopy(b)
    if not b:
        return copy.deepcopy(a)
    result = copy.deepcopy(a)
    for key, vb in b.items():
        result[key] = _merge_value(result.get(key), vb)
    return result


def _merge_value(va: Any, vb: Any) -> Any:
    if vb is None:
        return va
    if va is None:
        return copy.deepcopy(vb)
    if isinstance(va, dict) and isinstance(vb, dict):
        return deep_merge(va, vb)
    if isinstance(va, list) and isinstance(vb, list):
        return va + [copy.deepcopy(x) for x in vb if not any(_java_equal(x, y) for y in va)]
    return copy.deepcopy(vb)


def _java_equal(x: Any, y: Any) -> bool:
    """Object.equals as Jackson's values compare: 1, 1.0 and true are three different values."""
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_java_equal(v, y[k]) for k, v in x.items())
    if isinstance(x, list):
        return len(x) == len(y) and all(_java_equal(a, b) for a, b in zip(x, y))
    return x == y


# -- validation ------------------------------------------------------------------------------


def entry_problems(
    block: Any, name: str, accepted_of: Any
) -> list[tuple[str, str, tuple[Any, ...]]]:
    """Malformed defaults as (kind, message, path), with Kestra's wording where it has one.
    `accepted_of(type)` gives the property names a known plugin type accepts, else None."""
    where = (name,)
    if not isinstance(block, list):
        return [("invalid", f"`{name}` must be a list of {{type, forced, values}} entries", where)]
    out: list[tuple[str, str, tuple[Any, ...]]] = []
    for i, entry in enumerate(block):
        path = (name, i)
        label = f"{name}[{i}]"
        if not isinstance(entry, dict):
            out.append(("invalid", f"{label} must be a mapping with `type` and `values`", path))
            continue
        for key in entry:
            if key == "ref":
                out.append(
                    (
                        "unsupported-property",
                        f"{label}: named plugin defaults (`ref`, applied through a "
                        f"plugin's `pluginDefaultsRef`) are not supported by the embedded engine; set the "
                        f"values by `type` or run it on a real Kestra (docker-compose.yml)",
                        path + (key,),
                    )
                )
            elif key not in ENTRY_KEYS:
                out.append(
                    (
                        "unknown-property",
                        f"{label}: unknown property `{key}` (Kestra: Unrecognized field "
                        f"\"{key}\"); expected {', '.join(ENTRY_KEYS)}",
                        path + (key,),
                    )
                )
        type_name = entry.get("type")
        if not isinstance(type_name, str) or not type_name:
            out.append(
                (
                    "missing-property",
                    f"{label} has no `type` (Kestra: Invalid Plugin Default: No 'type' "
                    f"provided); give the plugin type or a type prefix such as io.kestra.plugin.core.http",
                    path + (("type",) if "type" in entry else ()),
                )
            )
        if forced_flag(entry.get("forced")) is None:
            out.append(("invalid", f"{label}: `forced` must be true or false", path + ("forced",)))
        values = entry.get("values")
        if values is None:
            out.append(
                (
                    "missing-property",
                    f"{label} has no `values` (Kestra: Invalid Plugin Default: No 'values' "
                    f"provided); give a map of property: value",
                    path + (("values",) if "values" in entry else ()),
                )
            )
            continue
        if not isinstance(values, dict):
            out.append(
                (
                    "invalid",
                    f"{label}: `values` must be a map of property: value, not "
                    f"{type(values).__name__}",
                    path + ("values",),
                )
            )
            continue
        accepted = accepted_of(type_name) if isinstance(type_name, str) else None
        lowered = {a.lower() for a in accepted} if accepted is not None else None
        for key, value in values.items():
            if value is None:
                out.append(
                    (
                        "invalid",
                        f"{label}: no value for `{key}` (Kestra: Invalid Plugin Default: No value "
                        f"provided for key '{key}')",
                        path + ("values", key),
                    )
                )
            elif lowered is not None and str(key).lower() not in lowered:
                out.append(
                    (
                        "unknown-property",
                        f"{label}: No property '{key}' exists in plugin '{type_name}'; "
                        f"expected one of {', '.join(sorted(accepted))}",
                        path + ("values", key),
                    )
                )
    return out
