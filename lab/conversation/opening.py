"""Opening a lab session: assemble its parts, build the `Lab`, close the parts if that fails.

`Lab.open(settings, ...)` returns a `LabOpening`, which is both awaitable (the caller closes the
session) and an async context manager (closed on exit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.conversation.assembly import Parts, assemble, close
from lab.errors import ConfigError

if TYPE_CHECKING:
    from lab.config import Settings
    from lab.conversation.lab import Lab


class LabOpening:
    """What `Lab.open(...)` returns: `async with` it (closed on exit), or `await` it (then
    `await lab.close()`)."""

    def __init__(self, factory: Callable[[], Awaitable[Lab]]) -> None:
        self._factory = factory
        self._lab: Lab | None = None

    def __await__(self):  # noqa: ANN204 - generator protocol
        return self._factory().__await__()

    async def __aenter__(self) -> Lab:
        self._lab = await self._factory()
        return self._lab

    async def __aexit__(self, *exc: object) -> None:
        if self._lab is not None:
            await self._lab.close()


def opening(
    build: Callable[[Parts], Lab],
    settings: Settings,
    *,
    serve: bool,
    cassette: Path | None,
    scripted: Any,
    clock_start: datetime | None,
    target_url: str | None,
    deploy: bool,
    fixtures: Any,
) -> LabOpening:
    """The opening of a session built by `build(parts)` from the parts `assemble` makes (see
    `Lab.open` for the options)."""

    async def open_session() -> Lab:
        parts = await assemble(
            settings,
            serve=serve,
            cassette=cassette,
            scripted=scripted,
            clock_start=clock_start,
            target_url=target_url,
            deploy_project=deploy,
        )
        try:
            if fixtures is not None:
                if parts.engine is None:
                    raise ConfigError(
                        "--fixtures works on the embedded engine; a real Kestra runs fixtures only "
                        "in its unit tests",
                        where="--fixtures",
                        fix="drop --kestra, or use walab kestra-test",
                    )
                parts.engine.fixtures = fixtures
            return build(parts)
        except BaseException:  # e.g. settings.flow is not among the deployed flows
            await close(parts)
            raise

    return LabOpening(open_session)
