"""The namespace files of a Kestra namespace (prompts, scripts): upload, read, list, delete."""

from __future__ import annotations

from lab.kestra.connection import KestraConnection
from lab.kestra.shapes import NamespaceFile


class NamespaceFiles:
    """`client.files`: files of a namespace (`/namespaces/{ns}/files`)."""

    def __init__(self, connection: KestraConnection) -> None:
        self._connection = connection

    def _path(self, namespace: str, tail: str = "") -> str:
        return self._connection.path("namespaces", namespace, "files") + tail

    async def upload(self, namespace: str, path: str, content: bytes) -> None:
        """Upload a namespace file (multipart part `fileContent`), e.g. prompts/system.md."""
        path = "/" + path.lstrip("/")
        await self._connection.send(
            "POST",
            self._path(namespace),
            params={"path": path},
            files={"fileContent": (path.rsplit("/", 1)[-1], content)},
            what=f"upload namespace file {path} to {namespace}",
        )

    async def read(self, namespace: str, path: str) -> bytes:
        """A namespace file's bytes."""
        path = "/" + path.lstrip("/")
        response = await self._connection.send(
            "GET",
            self._path(namespace),
            params={"path": path},
            what=f"read namespace file {path} of {namespace}",
            subject=f"namespace file {path} of {namespace}",
        )
        return response.content

    async def list(self, namespace: str, path: str = "/") -> list[NamespaceFile]:
        """The entries of a namespace files directory."""
        data = await self._connection.json(
            "GET",
            self._path(namespace, "/directory"),
            params={"path": path},
            what=f"list namespace files {path} of {namespace}",
            subject=f"namespace directory {path} of {namespace}",
        )
        return [NamespaceFile.from_json(d) for d in data or ()]

    async def delete(self, namespace: str, path: str) -> None:
        """Delete a namespace file."""
        path = "/" + path.lstrip("/")
        await self._connection.send(
            "DELETE",
            self._path(namespace),
            params={"path": path},
            what=f"delete namespace file {path} of {namespace}",
            subject=f"namespace file {path} of {namespace}",
        )
