"""The metering record of one LLM call through the gateway."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class LLMCall:
    """One call: who made it (execution), what it cost, how long it took, where the answer came from.

    `request` and `response` are the bodies with secrets scrubbed (no Authorization, no keys).
    `cost_usd` is None when the model's price is unknown (shown as "price unknown", never 0);
    `priced_by` says what priced it: the upstream's own statement, or genai-prices by which model.
    """

    execution_id: str | None
    model: str
    mode: str  # live | record | replay | scripted
    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    estimated: bool = False  # tokens counted with tiktoken, not reported by the upstream
    cost_usd: float | None = None
    priced_by: str | None = (
        None  # what priced it (lab.llm.prices: BY_HEADER, BY_MODEL, ...); None: unknown
    )
    latency_ms: float = 0.0
    cassette_key: str | None = None
    status: int = 200
    error: str | None = None
    streamed: bool = False
    started_at: float = 0.0  # virtual clock
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    audio_seconds: float | None = None  # a transcription's audio (duration-priced models)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
