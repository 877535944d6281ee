"""The turn engine: inbound event -> execution(s) -> replies, LLM calls and logs, as a Turn."""
