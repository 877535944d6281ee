"""The flows of a Kestra server: create, update, deploy, get, delete, sync a namespace, validate."""

from __future__ import annotations

import yaml

from lab import yamlio
from lab.kestra import errors
from lab.kestra.connection import KestraConnection
from lab.kestra.shapes import Flow, FlowReport

YAML = {"Content-Type": "application/x-yaml"}


class Flows:
    """`client.flows`: flows as YAML sources (`/flows`)."""

    def __init__(self, connection: KestraConnection) -> None:
        self._connection = connection

    def _path(self, namespace: str, flow_id: str) -> str:
        return self._connection.path("flows", namespace, flow_id)

    async def create(self, source: str) -> Flow:
        """Create a flow from its YAML (`POST /flows`); 422 when it exists or is invalid."""
        data = await self._connection.json(
            "POST",
            f"{self._connection.api}/flows",
            content=source.encode(),
            headers=YAML,
            what=f"create flow {_flow_name(source)}",
        )
        return Flow.from_json(data)

    async def update(self, namespace: str, flow_id: str, source: str) -> Flow:
        """Replace a flow with new YAML (`PUT /flows/{ns}/{id}`); 404 when it does not exist."""
        data = await self._connection.json(
            "PUT",
            self._path(namespace, flow_id),
            content=source.encode(),
            headers=YAML,
            what=f"update flow {namespace}.{flow_id}",
            subject=f"flow {namespace}.{flow_id}",
        )
        return Flow.from_json(data)

    async def deploy(self, source: str) -> Flow:
        """Create the flow, or update it when it already exists."""
        namespace, flow_id = _flow_key(source)
        try:
            return await self.create(source)
        except errors.KestraInvalid as exc:
            if "already exists" not in str(exc) or not (namespace and flow_id):
                raise
        return await self.update(namespace, flow_id, source)

    async def get(self, namespace: str, flow_id: str) -> Flow:
        """The flow with its source (`GET /flows/{ns}/{id}?source=true`)."""
        data = await self._connection.json(
            "GET",
            self._path(namespace, flow_id),
            params={"source": "true"},
            what=f"get flow {namespace}.{flow_id}",
            subject=f"flow {namespace}.{flow_id}",
        )
        return Flow.from_json(data)

    async def delete(self, namespace: str, flow_id: str) -> None:
        """Delete a flow (204)."""
        await self._connection.send(
            "DELETE",
            self._path(namespace, flow_id),
            what=f"delete flow {namespace}.{flow_id}",
            subject=f"flow {namespace}.{flow_id}",
        )

    async def sync_namespace(
        self, namespace: str, sources: list[str], *, delete: bool = False
    ) -> list[Flow]:
        """Create or update every flow of `sources` in `namespace` in one call.

        Kestra's endpoint deletes the namespace's other flows by default; here `delete` must be
        asked for explicitly.
        """
        body = "\n---\n".join(s.strip("\n") for s in sources).encode()
        data = await self._connection.json(
            "POST",
            self._connection.path("flows", namespace),
            params={"delete": "true" if delete else "false"},
            content=body,
            headers=YAML,
            what=f"update the flows of namespace {namespace}",
        )
        return [Flow.from_json(d) for d in data or ()]

    async def validate(self, sources: str | list[str]) -> list[FlowReport]:
        """Kestra's verdict on each flow (`POST /flows/validate`): valid when `constraints` is None."""
        body = (
            sources if isinstance(sources, str) else "\n---\n".join(s.strip("\n") for s in sources)
        )
        data = await self._connection.json(
            "POST",
            f"{self._connection.api}/flows/validate",
            content=body.encode(),
            headers=YAML,
            what="validate flows",
        )
        return [FlowReport.from_json(d) for d in data or ()]


def _flow_key(source: str) -> tuple[str | None, str | None]:
    try:
        data = yamlio.parse(source)
    except yaml.YAMLError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    return data.get("namespace"), data.get("id")


def _flow_name(source: str) -> str:
    namespace, flow_id = _flow_key(source)
    return f"{namespace}.{flow_id}" if namespace and flow_id else "from YAML"
