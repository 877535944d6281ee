"""The LLM gateway: an OpenAI-compatible API with live, record, replay and scripted modes, and metering.

- `gateway.LLMGateway` — the ASGI app (`.app`), mounted by the lab server at `/llm`.
- `cassette.CassetteStore` — recorded exchanges (`*.cassette.yaml`), indexed by `canonical` keys.
- `relay` — live forwarding to the upstream (streams relayed as they come).
- `scripted.ScriptedReplies` — replies written in a scenario.
- `metering` / `tokens` / `prices` — `LLMCall` records: tokens (usage or offline tiktoken), cost
  (genai-prices), and `usage_from_outputs` for a real Kestra's task outputs.
- `scrub.Scrubber` — secrets out of anything written or shown.
"""
