"""Generate the plugin catalogue from the public sources of Kestra and its official plugins.

Run when the catalogue is refreshed, never at install or test time:

    python -m lab.kestra.catalogue.build --clones DIR

`sources.json` beside this file lists the repositories read: Kestra core twice (the 1.3 LTS tree
and the 2.0 tree, `"core": "1.3"` / `"2.0"`) and the official plugins. Each is a git clone (bare
or not) under DIR, found as `DIR/owner+name/repo`, `DIR/owner+name`, `DIR/name` or
`DIR/name.git`; its HEAD is read, or `"rev"` when given. The Java sources are read with
`lab.kestra.catalogue.java_source`; the result is written to `data/catalogue.json` beside this
file: every type a flow can name (tasks, triggers, conditions, task runners, AI providers,
memories, tools, retrievers and the other plugin objects), its aliases, the Kestra versions it
exists in, the repository and commit it was read from, its output class, and every class its
properties, outputs and parents reach, with each property's JSON type, required, default,
dynamic and deprecated flags. Inherited properties are kept on the class that declares them and
resolved when the catalogue is read.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from lab.kestra.catalogue import java_source as J
from lab.kestra.catalogue.java_classes import World, class_entry, generic_args, strings_in

DATA = Path(__file__).with_name("data") / "catalogue.json"
VERSIONS = ("1.3", "2.0")

# The roots a flow's `type:` can name, by the category each gives its subclasses.
ROOTS = {
    "io.kestra.core.models.tasks.Task": "task",
    "io.kestra.core.models.triggers.AbstractTrigger": "trigger",
    "io.kestra.core.models.conditions.Condition": "condition",
    "io.kestra.core.models.tasks.runners.TaskRunner": "taskRunner",
    "io.kestra.core.models.tasks.logs.LogExporter": "logExporter",
    "io.kestra.core.plugins.AdditionalPlugin": "pluginObject",
}
PLUGIN = "io.kestra.core.models.Plugin"


def _git(repo: str, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, *args], check=True, capture_output=True, text=True
    ).stdout


def read_sources(repo: str, rev: str = "HEAD") -> dict[str, str]:
    """Every `src/main/java/**.java` of a git repository at `rev`, by path."""
    listing = _git(repo, "ls-tree", "-r", rev)
    wanted = []
    for line in listing.splitlines():
        meta, _, path = line.partition("\t")
        if (
            path.endswith(".java")
            and "/src/main/java/" in "/" + path
            and "/test" not in path.split("src/main")[0]
        ):
            wanted.append((meta.split()[2], path))
    batch = subprocess.run(
        ["git", "-C", repo, "cat-file", "--batch"],
        check=True,
        capture_output=True,
        input="\n".join(sha for sha, _ in wanted).encode(),
    )
    out, data, pos = {}, batch.stdout, 0
    for _sha, path in wanted:
        header_end = data.index(b"\n", pos)
        size = int(data[pos:header_end].split()[2])
        out[path] = data[header_end + 1 : header_end + 1 + size].decode("utf-8", "replace")
        pos = header_end + 1 + size + 1
    return out


def _output_class(fqn: str, world: World) -> str | None:
    for current in [fqn, *world.ancestors(fqn)]:
        declared = world.classes.get(current)
        if declared is None:
            continue
        for name in declared.cls.implements + declared.cls.extends:
            outer, args = generic_args(name)
            if (
                outer.split(".")[-1]
                in ("RunnableTask", "FlowableTask", "TriggerOutput", "PollingTriggerInterface")
                and args
            ):
                resolved = world.resolve(args[0], declared)
                if resolved and not resolved.endswith(".VoidOutput"):
                    return resolved
    return None


# When a parent class lives in a library the catalogue cannot read, the interfaces still tell.
_TASK_INTERFACES = {"RunnableTask", "FlowableTask"}
_TRIGGER_INTERFACES = {
    "PollingTriggerInterface",
    "RealtimeTriggerInterface",
    "TriggerOutput",
    "WebhookTriggerInterface",
}


def _category(fqn: str, world: World) -> tuple[str | None, str | None]:
    ancestors = world.ancestors(fqn)
    for root, category in ROOTS.items():
        if root in ancestors:
            return category, root
    if unresolved(fqn, world):
        for current in [fqn, *ancestors]:
            declared = world.classes.get(current)
            names = (
                {generic_args(n)[0].split(".")[-1] for n in declared.cls.implements}
                if declared
                else set()
            )
            if names & _TASK_INTERFACES:
                return "task", None
            if names & _TRIGGER_INTERFACES:
                return "trigger", None
    return None, None


def unresolved(fqn: str, world: World) -> list[str]:
    """Kestra classes among a class's parents that the sources read do not hold (a shared
    library): the class's properties are then only partly known."""
    return [
        a
        for a in [fqn, *world.ancestors(fqn)]
        if a not in world.classes and a.startswith("io.kestra.")
    ]


def build_world(world: World, sources: list[dict], indices: list[int]) -> tuple[dict, dict]:
    """(types, classes) of one world, for the sources at `indices`."""
    types: dict[str, dict] = {}
    refs: set[str] = set()
    for fqn, declared in world.classes.items():
        if declared.source not in indices:
            continue
        cls = declared.cls
        if (
            cls.kind != "class"
            or cls.abstract
            or (cls.outer is not None and "@Plugin" not in cls.annotations)
        ):
            continue  # a nested class is a type only when it says so (others are the engine's own)
        if "private" in cls.modifiers.split():
            continue
        category, _root = _category(fqn, world)
        if category is None:
            continue
        entry: dict = {"c": category, "s": declared.source}
        if unresolved(fqn, world):
            entry["open"] = (
                1  # some inherited properties live in a library not read: unknown keys pass
            )
        aliases = re.search(r"aliases\s*=\s*(\{[^}]*\}|\"[^\"]*\")", cls.annotations)
        if aliases:
            entry["a"] = strings_in(aliases.group(1))
        if "@Deprecated" in cls.annotations:
            entry["dp"] = 1
        output = _output_class(fqn, world)
        if output:
            entry["o"] = output
            refs.add(output)
        if category == "pluginObject":
            bases = [
                a
                for a in world.ancestors(fqn)
                if world.classes.get(a)
                and world.classes[a].cls.abstract
                and a not in ROOTS
                and a.startswith("io.kestra.")
            ]
            if bases:
                entry["b"] = bases[0]
        types[fqn] = entry
        refs.add(fqn)
    classes: dict[str, dict] = {}
    pending = list(refs)
    while pending:
        fqn = pending.pop()
        if fqn in classes or fqn not in world.classes:
            continue
        found: set[str] = set()
        classes[fqn] = class_entry(world.classes[fqn], world, found)
        pending.extend(found - classes.keys())
    return types, classes


def _merge_versions(per_version: dict[str, tuple[dict, dict]]) -> tuple[dict, dict]:
    """Types and classes of the core trees merged: what exists in one version only says so."""
    types: dict[str, dict] = {}
    classes: dict[str, dict] = {}
    for version, (vtypes, vclasses) in per_version.items():
        for fqn, entry in vtypes.items():
            merged = types.setdefault(fqn, dict(entry, v=[]))
            merged["v"].append(version)
            if "a" in entry:
                merged["a"] = sorted(set(merged.get("a", [])) | set(entry["a"]))
        for fqn, entry in vclasses.items():
            if fqn not in classes:
                classes[fqn] = dict(entry, v=[version])
                classes[fqn]["p"] = {k: dict(p, v=[version]) for k, p in entry.get("p", {}).items()}
                continue
            merged = classes[fqn]
            merged["v"].append(version)
            if "en" in entry:
                merged["en"] = list(dict.fromkeys(merged.get("en", []) + entry["en"]))
            if "sub" in entry or "sub" in merged:
                earlier, later = merged.get("sub", {}), entry.get("sub", {})
                only = {n: [version] for n in later if n not in earlier}
                only.update({n: merged["v"][:1] for n in earlier if n not in later})
                merged["sub"] = {**earlier, **later}
                if only:
                    merged["subv"] = only
            merged["e"] = list(dict.fromkeys(merged.get("e", []) + entry.get("e", [])))
            for name, prop in entry.get("p", {}).items():
                if name in merged["p"]:
                    merged["p"][name]["v"].append(version)
                    if "dp" in prop:
                        merged["p"][name].setdefault("dpv", []).append(version)
                else:
                    merged["p"][name] = dict(prop, v=[version])
    every = list(per_version)
    for entry in types.values():
        if entry["v"] == every:
            del entry["v"]
    for entry in classes.values():
        if entry["v"] == every:
            del entry["v"]
        if not entry.get("e"):
            entry.pop("e", None)
        for prop in entry.get("p", {}).values():
            if prop["v"] == every:
                del prop["v"]
            if "dpv" in prop:
                if prop["dpv"] != every or True:
                    prop["dp"] = 1
                del prop["dpv"]
    return types, classes


def generate(config: list[dict]) -> dict:
    sources: list[dict] = []
    parsed: list[list[J.JavaFile]] = []
    for item in config:
        commit = _git(item["git"], "rev-parse", item.get("rev", "HEAD")).strip()
        files = read_sources(item["git"], commit)
        gradle = ""
        try:
            gradle = _git(item["git"], "show", f"{commit}:gradle.properties")
        except subprocess.CalledProcessError:
            pass
        version = re.search(r"^version=(\S+)", gradle, re.M)
        kestra = re.search(r"^kestraVersion=(\S+)", gradle, re.M)
        source = {
            "repo": item["repo"],
            "commit": commit,
            "version": version.group(1) if version else None,
        }
        if item.get("clone"):
            source["clone"] = item["clone"]
        if item.get("core"):
            source["core"] = item["core"]
        if kestra:
            source["kestraVersion"] = kestra.group(1)
        sources.append(source)
        parsed.append([J.parse(text) for _path, text in sorted(files.items())])
        print(f"{item['repo']}: {len(files)} Java files at {commit[:10]}", file=sys.stderr)
    core = {s["core"]: i for i, s in enumerate(sources) if s.get("core")}
    plugins = [i for i, s in enumerate(sources) if not s.get("core")]
    per_version = {}
    for version in VERSIONS:
        world = World()
        for i in [core[version]] + (plugins if version == "1.3" else []):
            for f in parsed[i]:
                world.add(f, i)
        per_version[version] = build_world(world, sources, [core[version]])
        if version == "1.3":
            plugin_types, plugin_classes = build_world(world, sources, plugins)
    types, classes = _merge_versions(per_version)
    for fqn, entry in plugin_types.items():
        types.setdefault(fqn, entry)
    for fqn, entry in plugin_classes.items():
        classes.setdefault(fqn, entry)
    return {
        "format": 1,
        "versions": list(VERSIONS),
        "sources": sources,
        "types": dict(sorted(types.items())),
        "classes": dict(sorted(classes.items())),
    }


def write(catalogue: dict, path: Path = DATA) -> None:
    """One type or class per line: compact, and a refresh reads as a diff."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dump = lambda value: json.dumps(value, separators=(",", ":"), ensure_ascii=False)  # noqa: E731
    lines = ["{" + f'"format":{catalogue["format"]},"versions":{dump(catalogue["versions"])},']
    lines.append('"sources":[\n' + ",\n".join(dump(s) for s in catalogue["sources"]) + "],")
    for key in ("types", "classes"):
        body = ",\n".join(f"{dump(k)}:{dump(v)}" for k, v in catalogue[key].items())
        lines.append(f'"{key}":{{\n{body}}}' + ("," if key == "types" else ""))
    path.write_text("\n".join(lines) + "}\n", encoding="utf-8")


SOURCES = Path(__file__).with_name("sources.json")


def locate(clones: Path, name: str) -> Path:
    owner_name = name.replace("/", "+")
    short = name.rpartition("/")[2]
    for candidate in (
        clones / owner_name / "repo",
        clones / owner_name,
        clones / short,
        clones / f"{short}.git",
    ):
        if candidate.is_dir():
            return candidate
    raise SystemExit(
        f"no clone of {name} under {clones} (looked for {owner_name}/repo, {owner_name}, {short}, "
        f"{short}.git): clone it there first"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clones", required=True, type=Path, help="folder holding a git clone of each source"
    )
    parser.add_argument(
        "--sources", type=Path, default=SOURCES, help="the list of repositories (sources.json)"
    )
    parser.add_argument("--out", default=str(DATA))
    args = parser.parse_args(argv)
    config = json.loads(args.sources.read_text(encoding="utf-8"))
    for item in config:
        item["git"] = str(locate(args.clones, item.get("clone", item["repo"])))
    catalogue = generate(config)
    write(catalogue, Path(args.out))
    counts: dict[str, int] = {}
    for entry in catalogue["types"].values():
        counts[entry["c"]] = counts.get(entry["c"], 0) + 1
    print(
        f"{len(catalogue['types'])} types ({counts}), {len(catalogue['classes'])} classes -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
