"""The Textual app. Imported only by `walab chat`/`serve` and the TUI tests."""
