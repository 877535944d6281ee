"""Targets for the client suite: the contract fixtures (1.3, 2.0) on a real loopback socket, and
the embedded engine's API in-process. The same tests run against each."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from kestra_fixture_app import PASSWORD, USER, fixture_app
from loopback import LoopbackServer

from lab.kestra.client import KestraClient

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "contract")
)  # Kestra's OpenAPI contract
from openapi_contract import Contract, ContractRecorder  # noqa: E402

FLOWS = Path(__file__).resolve().parent / "flows"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def fixture_servers():
    with LoopbackServer(fixture_app("1.3")) as v13, LoopbackServer(fixture_app("2.0")) as v20:
        yield {"1.3": v13.url, "2.0": v20.url}


def embedded_app(dialect: str = "1.3"):
    """The embedded engine's API with the suite's flows deployed and basic auth on."""
    from lab.kestra.engine.api import KestraApi
    from lab.kestra.engine.engine import Engine

    engine = Engine(version=dialect)
    for path in sorted(FLOWS.glob("*.yml")):
        engine.deploy(path.read_text())
    return KestraApi(engine, dialect=dialect, username=USER, password=PASSWORD)


@dataclass
class Target:
    """A Kestra the suite talks to, and how to make more clients for it."""

    name: str
    dialect: str
    client: KestraClient
    make_client: Callable[..., KestraClient]
    fixtures: bool


@pytest.fixture(params=["fixtures-1.3", "fixtures-2.0", "embedded-1.3", "embedded-2.0"])
async def kestra_target(request):
    """A target; on the embedded engine, every response it gives and every request KestraClient sends
    must conform to Kestra's OpenAPI document of that dialect (checked when the test ends)."""
    name = request.param
    dialect = name.split("-", 1)[1]
    recorder = None
    if name.startswith("fixtures-"):
        url = request.getfixturevalue("fixture_servers")[dialect]

        def make(**kwargs) -> KestraClient:
            return KestraClient(url, **kwargs)
    else:
        recorder = ContractRecorder(embedded_app(dialect))

        def make(**kwargs) -> KestraClient:
            return KestraClient(
                "http://embedded", transport=httpx.ASGITransport(app=recorder), **kwargs
            )

    client = make(username=USER, password=PASSWORD)
    await client.detect()
    yield Target(name, dialect, client, make, name.startswith("fixtures-"))
    await client.aclose()
    if recorder is not None:
        problems = recorder.problems(Contract(dialect), requests=True)
        assert not problems, f"Kestra {dialect}'s OpenAPI document rejects:\n" + "\n".join(problems)


@pytest.fixture
def run_soon():
    """Run a coroutine on the test loop without awaiting it (for concurrency tests)."""
    tasks = []

    def run(coro):
        task = asyncio.ensure_future(coro)
        tasks.append(task)
        return task

    yield run
    for task in tasks:
        task.cancel()
