"""Finding test suites and the flows they test, and an engine that holds those flows."""

from __future__ import annotations

from pathlib import Path

from lab import yamlio
from lab.errors import ConfigError
from lab.kestra import flow_files
from lab.kestra.engine.engine import Engine
from lab.kestra.engine.errors import FlowInvalid
from lab.kestra.flow_yaml import load_flow
from lab.kestra.testsuite.model import TestSuite, is_test_suite, load_suite


def yaml_files(paths: list[Path]) -> list[Path]:
    """The YAML files of the given test suite files and folders (namespace files left out)."""
    return flow_files.yaml_files(paths, fix="pass test suite files or folders")


def collect(paths: list[Path]) -> tuple[list[TestSuite], list[tuple[Path, str]]]:
    """(suites, flows) among the YAML files of `paths`: a file with `testCases` and `flowId` is a
    suite; one with `tasks` and `namespace` is a flow they may test."""
    suites, flows = [], []
    for path in yaml_files(paths):
        text = yamlio.read_text(path)
        if is_test_suite(text):
            suites.append(load_suite(path))
        elif path.parent.is_dir() and _is_flow(text):
            flows.append((path, text))
    return suites, flows


def _is_flow(text: str) -> bool:
    try:
        data = load_flow(text)
    except Exception:  # noqa: BLE001 - not a flow; a suite run does not judge other YAML
        return False
    return (
        isinstance(data, dict)
        and "tasks" in data
        and "namespace" in data
        and "testCases" not in data
    )


def engine_with_flows(
    flows: list[tuple[Path, str]], project_flows: Path | None, version: str = "1.3"
) -> Engine:
    """An engine holding the given flows first, then the project's flows it does not already hold."""
    engine = Engine(secrets={}, version=version)
    try:
        for path, text in flows:
            engine.deploy(text, path=str(path))
        if project_flows is not None and project_flows.is_dir():
            held = {(f.namespace, f.id) for f in engine.flows()}
            for path in yaml_files([project_flows]):
                text = yamlio.read_text(path)
                data = load_flow(text)
                if isinstance(data, dict) and (data.get("namespace"), data.get("id")) not in held:
                    engine.deploy(text, path=str(path))
    except FlowInvalid as exc:
        raise ConfigError(
            f"a flow the suites test is invalid: {exc.what}",
            where=exc.where,
            fix="walab validate names every problem",
        ) from None
    return engine
