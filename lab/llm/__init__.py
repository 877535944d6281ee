"""The LLM gateway: an OpenAI-compatible API with live, record, replay and scripted modes, and metering."""
