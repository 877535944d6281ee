"""Widgets of the chat TUI: one per module, each with its structural CSS."""
