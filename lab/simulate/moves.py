"""What a simulated user does in one turn (a move), and the lab acts it becomes.

A move is what a persona's script lists and what the simulated user's model answers with (JSON):

    {say: Oi}                                  SendText
    {tap: Ver planos}                          Tap (a button or list row of the last reply)
    {burst: [oi, tudo bem?, quero um orçamento]}  several SendText in a row (one move, one check)
    {location: {lat: -22.9, lon: -47.06, name: Casa}}
    {contacts: [{name: Ana, phone: "+5511..."}]}
    {media: {path: files/conta.jpg, caption: minha conta}}
    {voice: {say: Quanto custa?}}              SendVoice: a pt-BR voice note (or {path: files/nota.ogg})
    {quiet: 25h}                               Advance: the user goes quiet and comes back later
    {done: goal_reached | gave_up}             the user stops

Every move but `done` and `quiet` ends with the agent's turn; `quiet` moves the clock only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lab.conversation.actions import Action, Advance, SendText, from_step
from lab.errors import ConfigError

MOVE_SHAPES = {
    "say": "text",
    "tap": "the title of a button or list row of the agent's last reply",
    "burst": "a list of texts sent in a row",
    "location": "{lat: -22.9, lon: -47.06, name: ...}",
    "contacts": "[{name: Ana, phone: '+5511...'}]",
    "media": "{path: files/conta.jpg, kind: image, caption: ...}",
    "voice": "{say: Quanto custa?} (a synthesised pt-BR voice note) or {path: files/nota.ogg}",
    "quiet": "a duration like 25h",
    "done": "goal_reached or gave_up",
}
DONE_REASONS = ("goal_reached", "gave_up")


@dataclass(frozen=True, slots=True)
class Move:
    """One move: the acts it performs, or the reason the user stopped (`done`)."""

    actions: tuple[Action, ...]
    done: str | None = None
    step: dict[str, Any] | None = None  # the move as written

    @property
    def texts(self) -> list[str]:
        return [a.text for a in self.actions if isinstance(a, SendText)]


def parse_move(item: Any) -> Move:
    """A move from its mapping; a wrong one is a ConfigError saying the shapes."""
    expected = "one of " + "; ".join(f"{k}: {v}" for k, v in MOVE_SHAPES.items())
    if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in MOVE_SHAPES:
        raise ConfigError(f"{item!r} is not a move", fix=f"expected {expected}")
    key, value = next(iter(item.items()))
    try:
        actions = _actions(key, value)
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc.what}", fix=f"expected {MOVE_SHAPES[key]}") from None
    if key == "done":
        if value not in DONE_REASONS:
            raise ConfigError(
                f"done: {value!r} is not a reason to stop",
                fix=f"expected one of {', '.join(DONE_REASONS)}",
            )
        return Move((), str(value), dict(item))
    return Move(actions, None, dict(item))


def _actions(key: str, value: Any) -> tuple[Action, ...]:
    if key == "done":
        return ()
    if key == "say":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("say needs text")
        return (SendText(value),)
    if key == "burst":
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(t, str) and t.strip() for t in value)
        ):
            raise ConfigError("burst needs a list of texts")
        return tuple(SendText(t) for t in value)
    if key == "quiet":
        return (from_step("advance", value),)
    return (from_step(key, value),)


def is_quiet(move: Move) -> bool:
    """The move only moves the clock (no webhook, no turn)."""
    return bool(move.actions) and all(isinstance(a, Advance) for a in move.actions)
