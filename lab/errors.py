"""Errors a person can act on: what is wrong, where, and what to do."""

from __future__ import annotations


class LabError(Exception):
    """Base of every error walab reports to a person.

    Args:
        what: what is wrong, in one sentence.
        where: the file and line, URL, flow, request... the error is about.
        fix: what to do about it.
    """

    exit_code = 1

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """The error as the lines a person reads (no traceback)."""
        parts = [self.what]
        if self.where:
            parts.append(f"  where: {self.where}")
        if self.fix:
            parts.append(f"  fix: {self.fix}")
        return "\n".join(parts)


class ConfigError(LabError):
    """A file or setting a person edits is wrong (YAML, config, CLI option)."""

    exit_code = 2
