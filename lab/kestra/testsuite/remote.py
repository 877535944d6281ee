"""`walab kestra-test --kestra URL`: the same test suites on a real Kestra Enterprise, through its
`/tests` API (kestra-ee.yml of kestra-io/client-sdk, operations createTestSuite, updateTestSuite and
runTestSuite).

Each suite's YAML is sent as written (`PUT /api/v1/{tenant}/tests/{namespace}/{id}`, or
`POST /api/v1/{tenant}/tests` when Kestra does not hold it yet, both `application/x-yaml`), then run
(`POST /api/v1/{tenant}/tests/{namespace}/{id}/run`, body `{"testCases": [ids]}` when --case names
some); Kestra answers a TestSuiteRunResult, returned as it came. The flows the suites test are
deployed first, as on the embedded engine: those found beside the suites, then the project's flows/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from lab import yamlio
from lab.errors import ConfigError
from lab.kestra.client import KestraClient
from lab.kestra.errors import KestraNotFound, KestraUnreachable
from lab.kestra.flow_yaml import load_flow
from lab.kestra.testsuite.model import TestSuite
from lab.kestra.testsuite.suites import yaml_files

YAML = {"Content-Type": "application/x-yaml"}


class TestSuitesApi:
    """Kestra EE's `/tests` routes on a KestraClient's connection (its auth, errors, timeouts)."""

    __test__ = False  # not a pytest class

    def __init__(self, client: KestraClient) -> None:
        self.client = client
        self.root = f"/api/v1/{client.tenant}/tests"

    def _suite_path(self, namespace: str, suite_id: str) -> str:
        return f"{self.root}/{quote(namespace, safe='')}/{quote(suite_id, safe='')}"

    async def save(self, suite: TestSuite, source: str) -> dict[str, Any]:
        """Update the suite Kestra holds, or create it."""
        subject = f"test suite {suite.namespace}.{suite.id}"
        try:
            return await self.client.connection.json(
                "PUT",
                self._suite_path(suite.namespace, suite.id),
                what="update a test suite",
                subject=subject,
                content=source.encode("utf-8"),
                headers=YAML,
            )
        except KestraNotFound:
            return await self.client.connection.json(
                "POST",
                self.root,
                what="create a test suite",
                subject=subject,
                content=source.encode("utf-8"),
                headers=YAML,
            )

    async def run(self, suite: TestSuite, cases: list[str] | None) -> dict[str, Any]:
        """Run the suite (only `cases` when given); Kestra's TestSuiteRunResult."""
        body: dict[str, Any] = {}
        if cases:
            body["testCases"] = [c.id for c in suite.test_cases if c.id in cases]
        return await self.client.connection.json(
            "POST",
            f"{self._suite_path(suite.namespace, suite.id)}/run",
            what="run a test suite",
            subject=f"test suite {suite.namespace}.{suite.id}",
            json=body,
        )


async def run_on_kestra(
    url: str,
    suites: list[TestSuite],
    flows: list[tuple[Path, str]],
    project_flows: Path | None,
    cases: list[str] | None,
    *,
    username: str | None = None,
    password: str | None = None,
) -> list[dict[str, Any]]:
    """Deploy the flows, save and run every suite on the Kestra at `url`; the run results in order."""
    async with KestraClient(url, username=username, password=password) as client:
        try:
            for source in _flow_sources(flows, project_flows):
                await client.flows.deploy(source)
            api = TestSuitesApi(client)
            results = []
            for suite in suites:
                await api.save(suite, yamlio.read_text(suite.path))
                results.append(await api.run(suite, cases))
            return results
        except KestraUnreachable as exc:
            raise ConfigError(exc.what, where=exc.where, fix=exc.fix) from exc


def _flow_sources(flows: list[tuple[Path, str]], project_flows: Path | None) -> list[str]:
    """The flows beside the suites, then the project's flows those do not already name."""
    sources = [text for _path, text in flows]
    held = {_key(text) for text in sources}
    if project_flows is not None and project_flows.is_dir():
        for path in yaml_files([project_flows]):
            text = yamlio.read_text(path)
            key = _key(text)
            if key is not None and key not in held:
                sources.append(text)
                held.add(key)
    return sources


def _key(text: str) -> tuple[Any, Any] | None:
    try:
        data = load_flow(text)
    except Exception:  # noqa: BLE001 - not a flow: Kestra would refuse it; not ours to deploy
        return None
    if not isinstance(data, dict) or "tasks" not in data:
        return None
    return data.get("namespace"), data.get("id")
