"""Screens and modals of the chat TUI."""
