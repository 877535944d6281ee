"""The WhatsApp Cloud API, both directions: inbound webhook builders and signing, and the fake Graph API.

Phone side: `inbound.InboundBuilder` (every message type a user sends), `statuses` (status
webhooks, per-message pricing), `signing` (ASCII-escaped bytes, HMAC, `WebhookPoster`, handshake).
Business side: `sandbox.GraphSandbox` (the ASGI fake Graph API; `walab sandbox` runs it alone via
`cli`), with `validation`/`interactive`/`template_check` (Meta's rules), `templates` (the registry),
`media`, `faults`, `status_delivery`, `notify` (Kestra's notification tasks) and `control`.
Shared records live in `model` (`CapturedSend`, `Verdict`, `StatusEvent`).
"""
