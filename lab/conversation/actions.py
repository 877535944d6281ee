"""What a simulated user does, defined once: one frozen dataclass per act.

Every front end speaks this vocabulary and hands an act to `Lab.perform(wa_id, action)`: the TUI
and `walab record` (typed commands, `lab.conversation.composer.parse_command`), scenario files
(`from_step`: a step's YAML), the player, and the recorder, which is told what was performed
(`events.ActionPerformed`) and writes `action.to_step()` instead of reading webhooks back.
A new act is a dataclass here (with `to_step`), a branch in `from_step` and in `Lab.perform`, and
its renderers (the composer's command, the TUI's pending bubble).

    SendText("Oi")                                   user: Oi
    SendText("Oi", delivered_after=timedelta(hours=25), duplicates=1)
                                                     user: {text: Oi, delivered_after: 25h, duplicates: 1}
    Tap("Ver planos")                                tap: Ver planos
    SendMedia("image", Path("files/conta.jpg"), "minha conta")
                                                     media: {kind: image, path: files/conta.jpg, caption: …}
    SendVoice(say="Quanto custa?")                   voice: {say: Quanto custa?}   (synthesised, pt-BR)
    SendVoice(path=Path("files/nota.ogg"))           voice: {path: files/nota.ogg}
    SendLocation(-23.55, -46.63, "Av. Paulista")     location: {lat: -23.55, lon: -46.63, name: …}
    SendContacts((ContactCard("Ana", "+5511…"),))    contacts: [{name: Ana, phone: "+5511…"}]
    React("👍")                                       react: 👍   (the last business message)
    ReplyTo("Sim")                                   reply_to: {text: Sim}   (quotes the last one)
    Advance(timedelta(hours=25))                     advance: 25h
    Read()                                           read: true
    Wait("read")                                     wait: {status: read, timeout: 5s}
    SwitchContact("João Pereira")                    contact: João Pereira
    ArmFault("fail_next", 1, code=131026)            fault: {fail_next: 1, code: 131026}
    ArmFault("hold", 1, seconds=20)                  fault: {hold: 1, seconds: 20}   (Graph API timeout)
    ArmFault("model_rate_limit", 2)                  fault: {model_rate_limit: 2}
    ArmFault("model_slow", 1, seconds=3)             fault: {model_slow: 1, seconds: 3}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from lab import limits
from lab.clock import duration_text
from lab.errors import ConfigError
from lab.llm.faults import MODEL_FAULT_NAMES, MODEL_FAULT_OPTIONS, ModelFaults
from lab.whatsapp.faults import FAULT_NAMES, FAULT_OPTIONS, Faults

MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")
STATUSES = ("accepted", "sent", "delivered", "read", "failed")
# Every fault a `fault:` step arms: the Graph API's (the sandbox's script) and the model's (the
# gateway's script, prefixed `model_`), with the options each takes besides its count.
MODEL_PREFIX = "model_"
ALL_FAULT_OPTIONS: dict[str, tuple[str, ...]] = {
    **{name: FAULT_OPTIONS.get(name, ()) for name in FAULT_NAMES},
    **{MODEL_PREFIX + name: MODEL_FAULT_OPTIONS.get(name, ()) for name in MODEL_FAULT_NAMES},
}
DEFAULT_WAIT = 5.0  # seconds a `wait` step gives a status to arrive


class Action:
    """One act of a simulated user. `turn`: it posts a webhook (a Turn follows); `per_contact`:
    it is done as one contact (a switch of contact comes before it in a recording)."""

    __slots__ = ()
    turn: ClassVar[bool] = True
    per_contact: ClassVar[bool] = True

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        """The scenario step that repeats this act (`from_step` reads it back)."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class SendText(Action):
    """The user writes a message. `delivered_after`: the webhook reaches the bot that much later
    (Meta retries for days: the 24-hour window test); `duplicates`: it is redelivered so often."""

    text: str
    delivered_after: timedelta | None = None
    duplicates: int = 0

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        if not self.delivered_after and not self.duplicates:
            return {"user": self.text}
        step: dict[str, Any] = {"text": self.text}
        if self.delivered_after:
            step["delivered_after"] = duration_text(self.delivered_after.total_seconds())
        if self.duplicates:
            step["duplicates"] = self.duplicates
        return {"user": step}


@dataclass(frozen=True, slots=True)
class Tap(Action):
    """The user taps a reply button, a list row or a template quick reply, by its title."""

    title: str

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        return {"tap": self.title}


@dataclass(frozen=True, slots=True)
class SendMedia(Action):
    """A photo, voice note, video, document or sticker from a file (a relative path is the
    project's)."""

    kind: str
    path: Path
    caption: str | None = None

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        step: dict[str, Any] = {"kind": self.kind, "path": _project_path(self.path, project_dir)}
        if self.caption:
            step["caption"] = self.caption
        return {"media": step}


@dataclass(frozen=True, slots=True)
class SendVoice(Action):
    """A voice note: `say` is synthesised in pt-BR (`lab.voice.synth`), `path` is a recording sent as
    it is (a voice note when it is OGG/Opus, otherwise plain audio, as WhatsApp does)."""

    say: str | None = None
    path: Path | None = None

    def __post_init__(self) -> None:
        if (self.say is None) == (self.path is None):
            raise ConfigError(
                "a voice note either says a text or sends a file",
                fix='voice: {say: "Oi"} or voice: {path: FILE}',
            )

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        if self.path is not None:
            return {"voice": {"path": _project_path(self.path, project_dir)}}
        return {"voice": {"say": self.say}}


@dataclass(frozen=True, slots=True)
class SendLocation(Action):
    """The user shares a place."""

    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        step: dict[str, Any] = {"lat": self.latitude, "lon": self.longitude}
        step.update({k: v for k, v in (("name", self.name), ("address", self.address)) if v})
        return {"location": step}


@dataclass(frozen=True, slots=True)
class ContactCard:
    """One card of a contacts message."""

    name: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class SendContacts(Action):
    """The user shares contact cards."""

    cards: tuple[ContactCard, ...]

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        return {"contacts": [_card_step(c) for c in self.cards]}


@dataclass(frozen=True, slots=True)
class React(Action):
    """The user reacts to a business message (`to` None: the last one); emoji None removes it."""

    emoji: str | None
    to: str | None = None

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        if self.to is None and self.emoji is not None:
            return {"react": self.emoji}
        return {"react": {"emoji": self.emoji, **({"to": self.to} if self.to else {})}}


@dataclass(frozen=True, slots=True)
class ReplyTo(Action):
    """The user quotes a business message (`to` None: the last one) and writes text."""

    text: str
    to: str | None = None

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        return {"reply_to": {"text": self.text, **({"to": self.to} if self.to else {})}}


@dataclass(frozen=True, slots=True)
class Advance(Action):
    """The virtual clock moves forward (the 24-hour window, KV TTLs and timestamps follow it).
    `text` is the move as the person wrote it (`25h`), kept for the recording."""

    turn: ClassVar[bool] = False
    per_contact: ClassVar[bool] = False

    delta: timedelta
    text: str = ""

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        return {"advance": self.text or duration_text(self.delta.total_seconds())}


@dataclass(frozen=True, slots=True)
class Read(Action):
    """The user opens the chat: delivered messages become read (status webhooks follow)."""

    turn: ClassVar[bool] = False

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        return {"read": True}


@dataclass(frozen=True, slots=True)
class Wait(Action):
    """Wait until the last business message reaches a delivery status (or fail after `timeout`
    seconds of real time)."""

    turn: ClassVar[bool] = False

    status: str
    timeout: float = DEFAULT_WAIT

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        return {"wait": {"status": self.status, "timeout": duration_text(self.timeout)}}


@dataclass(frozen=True, slots=True)
class SwitchContact(Action):
    """What follows is done as another contact (a name, a unique start of one, or a phone number);
    with `number` (a wa_id), a new contact of that name is added first."""

    turn: ClassVar[bool] = False
    per_contact: ClassVar[bool] = False

    who: str
    number: str | None = None

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        return {"contact": self.who}


@dataclass(frozen=True, slots=True)
class ArmFault(Action):
    """The fake Graph API fails or holds the next `count` sends (or redelivers webhooks, or delays
    statuses by `count` seconds), or the model (`model_*`) fails or slows the next `count` calls."""

    turn: ClassVar[bool] = False
    per_contact: ClassVar[bool] = False

    name: str
    count: int = 1
    code: int | None = None
    details: str | None = None
    http_status: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.name not in ALL_FAULT_OPTIONS:
            raise ConfigError(
                f"unknown fault {self.name!r}", fix=f"one of {', '.join(ALL_FAULT_OPTIONS)}"
            )

    @property
    def on_model(self) -> bool:
        """A fault of the model's side (the gateway's script), not of the Graph API."""
        return self.name.startswith(MODEL_PREFIX)

    @property
    def script_name(self) -> str:
        """The fault's name in its script (`rate_limit` for `model_rate_limit`)."""
        return self.name.removeprefix(MODEL_PREFIX) if self.on_model else self.name

    @property
    def options(self) -> dict[str, Any]:
        """The fault's options besides its count (a code, an HTTP status, seconds held)."""
        given = (
            ("code", self.code),
            ("details", self.details),
            ("http_status", self.http_status),
            ("seconds", self.seconds),
        )
        return {k: v for k, v in given if v is not None}

    def to_step(self, project_dir: Path | None = None) -> dict[str, Any]:
        return {"fault": {self.name: self.count, **self.options}}


# -- scenario steps --------------------------------------------------------------------------
# What each step key takes, as the error for a wrong value says it.
STEP_SHAPES = {
    "user": "text, a list of utterances (each a separate test case), or "
    "`{text: ..., duplicates: 1, delivered_after: 25h}`",
    "tap": "the title of a reply button or list row in the last reply",
    "media": "`{path: files/conta.jpg, kind: image, caption: ...}`",
    "voice": "`{say: Quanto custa a instalação?}` (a pt-BR voice note) or `{path: files/nota.ogg}`",
    "location": "`{lat: -23.55, lon: -46.63, name: ..., address: ...}`",
    "contacts": "a list like `- {name: Ana, phone: '+5511...'}`",
    "react": "an emoji, or `{emoji: 👍, to: <wamid>}`",
    "reply_to": "`{text: ..., to: <wamid>}` (to defaults to the last business message)",
    "advance": "a duration like 25h, 90m, 1h30m",
    "wait": "`{status: delivered|read|failed, timeout: 5s}`",
    "read": "`true` (the user opens the chat)",
    "contact": "the name or wa_id of a scenario contact",
    "fault": "one of `{rate_limit: 1}`, `{fail_next: 1, code: 131026}`, `{server_error: 1}`, "
    "`{hold: 1, seconds: 20}`, `{duplicate_next: 1}`, `{delay_statuses: 2}`, "
    "`{model_rate_limit: 1}`, `{model_server_error: 1}`, `{model_slow: 1, seconds: 3}`",
}
STEP_KEYS = tuple(STEP_SHAPES)
# The steps whose act posts a webhook (a turn follows).
TURN_STEPS = frozenset(
    {"user", "tap", "media", "voice", "location", "contacts", "react", "reply_to"}
)


def from_step(key: str, value: Any, where: str | None = None) -> Action:
    """The act a scenario step describes (`user: Oi` is `from_step("user", "Oi")`).

    A wrong value is a ConfigError at `where` (the file and line) saying the shape expected. A
    `user` step listing several utterances is expanded into cases first: each is read alone.
    """

    def wrong(what: str | None = None) -> ConfigError:
        return ConfigError(
            what or f"{key}: unexpected value {value!r}",
            where=where,
            fix=f"expected {STEP_SHAPES.get(key, 'one of ' + ', '.join(STEP_KEYS))}",
        )

    if key not in STEP_SHAPES:
        raise ConfigError(
            f"unknown step key {key!r}", where=where, fix=f"one of {', '.join(STEP_KEYS)}"
        )
    try:
        action = _READERS[key](value)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise wrong() from None
    except ConfigError as exc:  # a duration, a count past its limit: said in the step's terms
        raise ConfigError(f"{key}: {exc.what}", where=where, fix=exc.fix or wrong().fix) from None
    if action is None:
        raise wrong()
    return action


def _user(value: Any) -> Action | None:
    if isinstance(value, str):
        return SendText(value)
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        return None
    if set(value) - {"text", "duplicates", "delivered_after"}:
        return None
    late = value.get("delivered_after")
    duplicates = limits.count(value.get("duplicates", 0), "duplicates", limits.MAX_DUPLICATES)
    return SendText(
        value["text"],
        None if late is None else limits.clock_move(late, "delivered_after"),
        duplicates,
    )


def _tap(value: Any) -> Action | None:
    return Tap(value) if isinstance(value, str) else None


def _media(value: Any) -> Action | None:
    if not isinstance(value, dict) or not value.get("path"):
        return None
    path = Path(str(value["path"]))
    kind = value.get("kind") or media_kind(path)
    if kind not in MEDIA_KINDS:
        raise ConfigError(f"unknown media kind {kind!r}", fix=f"one of {', '.join(MEDIA_KINDS)}")
    caption = value.get("caption")
    return SendMedia(kind, path, None if caption is None else str(caption))


def _voice(value: Any) -> Action | None:
    if not isinstance(value, dict) or set(value) not in ({"say"}, {"path"}):
        return None
    if "say" in value:
        return SendVoice(say=str(value["say"])) if str(value["say"] or "").strip() else None
    return SendVoice(path=Path(str(value["path"]))) if value["path"] else None


def _location(value: Any) -> Action | None:
    if not isinstance(value, dict):
        return None
    name, address = value.get("name"), value.get("address")
    return SendLocation(
        float(value["lat"]),
        float(value["lon"]),
        None if name is None else str(name),
        None if address is None else str(address),
    )


def _contacts(value: Any) -> Action | None:
    if not isinstance(value, list) or not all(isinstance(c, dict) and "name" in c for c in value):
        return None
    cards = (
        ContactCard(str(c["name"]), None if c.get("phone") is None else str(c["phone"]))
        for c in value
    )
    return SendContacts(tuple(cards))


def _react(value: Any) -> Action | None:
    if isinstance(value, str):
        return React(value)
    if isinstance(value, dict) and "emoji" in value:
        return React(value["emoji"], value.get("to"))
    return None


def _reply_to(value: Any) -> Action | None:
    if not isinstance(value, dict) or "text" not in value:
        return None
    return ReplyTo(str(value["text"]), value.get("to"))


def _advance(value: Any) -> Action | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return Advance(limits.clock_move(value, "advance"), value if isinstance(value, str) else "")


def _read(value: Any) -> Action | None:
    return Read() if value is True else None


def _wait(value: Any) -> Action | None:
    spec = (
        value if isinstance(value, dict) else {"status": value} if isinstance(value, str) else None
    )
    if spec is None or spec.get("status") not in STATUSES or set(spec) - {"status", "timeout"}:
        return None
    timeout = spec.get("timeout")
    if timeout is None:
        return Wait(spec["status"])
    seconds = limits.clock_move(timeout, "the wait timeout").total_seconds()
    return Wait(spec["status"], limits.seconds(seconds, "the wait timeout", limits.MAX_WAIT_S))


def _contact(value: Any) -> Action | None:
    return SwitchContact(str(value)) if isinstance(value, (str, int)) else None


def _fault(value: Any) -> Action | None:
    if not isinstance(value, dict):
        return None
    names = [k for k in value if k in ALL_FAULT_OPTIONS]
    if len(names) != 1:
        return None
    name = names[0]
    options = {k: v for k, v in value.items() if k != name}
    if set(options) - set(ALL_FAULT_OPTIONS[name]):
        return None
    # Checked as the sandbox or the gateway checks it (`lab.limits`).
    if name.startswith(MODEL_PREFIX):
        ModelFaults().arm(name.removeprefix(MODEL_PREFIX), value[name], **options)
    else:
        Faults().arm(name, value[name], **options)
    code, status, seconds = options.get("code"), options.get("http_status"), options.get("seconds")
    return ArmFault(
        name,
        int(value[name]),
        None if code is None else int(code),
        options.get("details"),
        None if status is None else int(status),
        None if seconds is None else float(seconds),
    )


_READERS = {
    "user": _user,
    "tap": _tap,
    "media": _media,
    "voice": _voice,
    "location": _location,
    "contacts": _contacts,
    "react": _react,
    "reply_to": _reply_to,
    "advance": _advance,
    "wait": _wait,
    "read": _read,
    "contact": _contact,
    "fault": _fault,
}


def media_kind(path: Path) -> str:
    """The kind of media a file is sent as, from its suffix (a document when unknown)."""
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg", ".png", ".webp"):
        return "image"
    if suffix in (".ogg", ".opus", ".mp3", ".m4a", ".aac", ".amr"):
        return "audio"
    if suffix in (".mp4", ".3gp"):
        return "video"
    return "document"


def _card_step(card: ContactCard) -> dict[str, Any]:
    return {"name": card.name, **({"phone": card.phone} if card.phone else {})}


def _project_path(path: Path, project_dir: Path | None) -> str:
    """A media file as the step names it: relative to the project when inside it, else absolute."""
    if not path.is_absolute():
        return path.as_posix()
    resolved = path.resolve()
    if project_dir is not None and resolved.is_relative_to(Path(project_dir).resolve()):
        return resolved.relative_to(Path(project_dir).resolve()).as_posix()
    return str(resolved)
