"""Fixtures for the project's own flows: the same frozen-clock lab as the conversation tests."""

from conversation.conftest import CLOCK, DATA, JOAO, MARIA, ROOT, open_lab, settings  # noqa: F401
