"""A stand-in for Kestra Enterprise's `/tests` API on loopback, answering the shapes kestra-ee.yml
(kestra-io/client-sdk) documents: createTestSuite / updateTestSuite take the suite's YAML
(`application/x-yaml`) and answer a TestSuite; runTestSuite takes `{"testCases": [ids]}` and
answers a TestSuiteRunResult; `POST /flows` answers a Flow. Every request needs basic auth; an
unknown suite is Micronaut's 404 JsonError. Each case "passes" unless its id starts with `fail`,
which gives a failing `equalTo` assertion as Kestra reports one.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import yaml

TENANT = "/api/v1/main"
NOW = "2026-03-02T12:00:00.000Z"


class KestraEeTests:
    def __init__(self, username: str, password: str) -> None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.authorization = f"Basic {token}"
        self.suites: dict[tuple[str, str], dict[str, Any]] = {}
        self.flows: dict[tuple[str, str], str] = {}
        self.requests: list[tuple[str, str, str, bytes]] = []  # method, path, content type, body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        self.requests.append((method, path, headers.get("content-type", ""), body))
        if headers.get("authorization") != self.authorization:
            status, payload = 401, {"message": "Unauthorized"}
        else:
            status, payload = self.answer(method, path, body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(payload).encode()})

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        parts = path.removeprefix(TENANT).strip("/").split("/")
        if parts == ["flows"] and method == "POST":
            flow = yaml.safe_load(body)
            self.flows[(flow["namespace"], flow["id"])] = body.decode()
            return 200, {**flow, "revision": 1, "disabled": False, "deleted": False}
        if parts == ["tests"] and method == "POST":
            return 200, self._store(body)
        if parts[0] == "tests" and len(parts) == 3 and method == "PUT":
            if (parts[1], parts[2]) not in self.suites:
                return 404, _not_found(path, "TestSuite not found")
            return 200, self._store(body)
        if parts[0] == "tests" and len(parts) == 4 and parts[3] == "run" and method == "POST":
            suite = self.suites.get((parts[1], parts[2]))
            if suite is None:
                return 404, _not_found(path, "TestSuite not found")
            wanted = json.loads(body or b"{}").get("testCases") or [
                c["id"] for c in suite["testCases"]
            ]
            results = [_case_result(c) for c in suite["testCases"] if c["id"] in wanted]
            failing = any(r["state"] == "FAILED" for r in results)
            return 200, {
                "id": "4QjCuH1pG5B2k3Nn7xY9aZ",
                "testSuiteId": suite["id"],
                "namespace": suite["namespace"],
                "flowId": suite["flowId"],
                "state": "FAILED" if failing else "SUCCESS",
                "startDate": NOW,
                "endDate": NOW,
                "results": results,
            }
        return 404, _not_found(path, "Page Not Found")

    def _store(self, body: bytes) -> dict[str, Any]:
        suite = yaml.safe_load(body)
        stored = {**suite, "source": body.decode(), "deleted": False, "disabled": False}
        self.suites[(suite["namespace"], suite["id"])] = stored
        return stored


def _case_result(case: dict[str, Any]) -> dict[str, Any]:
    failing = case["id"].startswith("fail")
    return {
        "testId": case["id"],
        "testType": case["type"],
        "executionId": f"exec_{case['id']}",
        "url": f"http://kestra.example/ui/main/executions/x/y/exec_{case['id']}",
        "state": "FAILED" if failing else "SUCCESS",
        "assertionResults": [
            {
                "operator": "EQUAL_TO",
                "expected": "Bye" if failing else "Hello",
                "actual": "Hello",
                "isSuccess": not failing,
                "errorMessage": (
                    "expected '{{ outputs.hello.value }}' to equal 'Bye' but was 'Hello'"
                    if failing
                    else None
                ),
            }
        ],
        "errors": [],
    }


def _not_found(path: str, detail: str) -> dict[str, Any]:
    return {"message": f"Not Found: {detail}", "_links": {"self": {"href": path}}}
