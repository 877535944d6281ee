"""Kestra's verdict on a type the embedded engine does not run: unknown to Kestra (with a
did-you-mean over the whole catalogue), of the wrong kind, not in the Kestra version checked,
a flowable only a real Kestra runs, or a real task a fixture stands in for (with its skeleton)."""

from __future__ import annotations

from typing import Any

import yaml

from lab.kestra.catalogue.checks import skeleton_value
from lab.kestra.catalogue.reader import Catalogue
from lab.kestra.engine.known_types import REAL_KESTRA

Verdict = list[tuple[str, str, str]]  # (kind, message, severity)


def _unknown(catalogue: Catalogue, type_name: str, label: str, category: str) -> Verdict:
    if not catalogue.covers(type_name):
        edition = (
            "an Enterprise Edition plugin"
            if type_name.startswith("io.kestra.plugin.ee.")
            else "a plugin family outside walab's catalogue"
        )
        return [
            (
                "needs-fixture",
                f"{label}: {type_name} is from {edition}: it is not checked here; on real "
                f"Kestra it runs if that plugin is installed; here, give it a fixture",
                "warning",
            )
        ]
    close = catalogue.suggest(type_name, category)
    return [
        (
            "unknown-type",
            f"{label}: {type_name} is unknown to Kestra: it does not exist in Kestra core or any "
            f"official plugin (Invalid type)" + (f"; did you mean {close}?" if close else ""),
            "error",
        )
    ]


def _version(type_name: str, label: str, versions: tuple[str, ...], version: str) -> Verdict:
    if version in versions:
        return []
    when = (
        f"exists only from Kestra {versions[0]}"
        if versions[0] > version
        else f"was removed in Kestra {version}"
    )
    return [("unknown-type", f"{label}: {type_name} {when}", "error")]


def task_type(catalogue: Catalogue, type_name: str, label: str, version: str) -> Verdict:
    info = catalogue.type(type_name)
    if info is None:
        return _unknown(catalogue, type_name, label, "task")
    if info.category != "task":
        return [("invalid", f"{label}: {type_name} is a {info.category}, not a task", "error")]
    wrong_version = _version(type_name, label, info.versions, version)
    if wrong_version:
        return wrong_version
    if catalogue.is_flowable(info.name):
        return [
            (
                "unsupported-type",
                f"{label}: {type_name} exists in Kestra but is not supported by the embedded "
                f"engine; {REAL_KESTRA}",
                "error",
            )
        ]
    out: Verdict = []
    if info.deprecated:
        out.append(("deprecated", f"{label}: {type_name} is deprecated", "warning"))
    out.append(
        (
            "needs-fixture",
            f"{label}: {type_name} runs on real Kestra; here, give it a fixture (the embedded "
            f"engine stands in for it with the outputs you write): "
            f"{fixture_skeleton(catalogue, path_id(label), info.name)}",
            "warning",
        )
    )
    return out


def trigger_type(catalogue: Catalogue, type_name: str, label: str, version: str) -> Verdict:
    info = catalogue.type(type_name)
    if info is None:
        return _unknown(catalogue, type_name, label, "trigger")
    if info.category != "trigger":
        return [("invalid", f"{label}: {type_name} is a {info.category}, not a trigger", "error")]
    return _version(type_name, label, info.versions, version)


def path_id(label: str) -> str:
    return label.split("`")[1] if "`" in label else label


def fixture_skeleton(catalogue: Catalogue, task_id: str, type_name: str) -> str:
    """A task fixture for a stood-in task, as one line of YAML: its outputs with placeholders."""
    outputs = {
        name: skeleton_value(kind, catalogue) for name, kind in catalogue.outputs(type_name).items()
    }
    fixture: dict[str, Any] = {"id": task_id}
    if outputs:
        fixture["outputs"] = outputs
    return yaml.safe_dump(
        {"tasks": [fixture]}, default_flow_style=True, width=10_000, sort_keys=False
    ).strip()
