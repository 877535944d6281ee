"""The composer's little language: plain text is a message, `/command ...` is any other inbound kind.

Pure parsing (no Textual), so every command and every mistake is unit-tested; a mistake is a
`ConfigError` saying what is wrong and how to write it, and the composer keeps the text.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from lab import limits
from lab.errors import ConfigError

MEDIA_COMMANDS = {"image": "image", "doc": "document", "document": "document", "audio": "audio",
                  "voice": "audio", "video": "video", "sticker": "sticker"}


@dataclass(frozen=True, slots=True)
class SendText:
    text: str


@dataclass(frozen=True, slots=True)
class SendMedia:
    kind: str
    path: Path
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class SendLocation:
    latitude: float
    longitude: float
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SendContact:
    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class React:
    emoji: str


@dataclass(frozen=True, slots=True)
class ReplyTo:
    text: str


@dataclass(frozen=True, slots=True)
class Tap:
    title: str


@dataclass(frozen=True, slots=True)
class Advance:
    delta: timedelta
    text: str


@dataclass(frozen=True, slots=True)
class SendLate:
    """A message the bot receives `delay` after the user sent it (the 24-hour window test)."""

    delay: timedelta
    text: str


@dataclass(frozen=True, slots=True)
class MarkRead:
    pass


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


ComposerAction = SendText | SendLate | SendMedia | SendLocation | SendContact | React | ReplyTo | Tap | Advance | MarkRead | ShowHelp

USAGE: dict[str, str] = {
    "/image PATH [caption]": "send a photo (also /doc, /audio, /voice, /video, /sticker)",
    "/location LAT LON [name]": "share a location",
    "/contact NAME PHONE": "share a contact card",
    "/react EMOJI": "react to the last business message",
    "/reply TEXT": "reply (quote) to the last business message",
    "/tap TITLE": "tap a reply button or list row by its title",
    "/advance 25h": "move the virtual clock forward (25h, 90m, 2d, 1h30m)",
    "/late 25h TEXT": "a message the bot receives 25 h late: its replies fall outside the 24-hour window",
    "/read": "open the chat: the business's messages become read",
    "/help": "show the keys and commands",
}


def _usage(cmd: str) -> str:
    for usage in USAGE:
        if usage.split()[0] == cmd:
            return usage
    return "/help"


def parse(text: str, *, project_dir: Path | None = None) -> ComposerAction:
    """Parse what the person typed into the action to perform."""
    raw = text.strip()
    if not raw:
        raise ConfigError("nothing to send", fix="type a message, or /help for the commands")
    if not raw.startswith("/") or raw.startswith("//"):
        return SendText(raw[1:] if raw.startswith("//") else raw)
    head, _, rest = raw.partition(" ")
    cmd = head[1:].lower()
    rest = rest.strip()
    if cmd in MEDIA_COMMANDS:
        return _media(cmd, rest, project_dir)
    if cmd == "location":
        return _location(rest)
    if cmd == "contact":
        parts = _split(rest, head)
        if len(parts) < 2:
            raise ConfigError("/contact needs a name and a phone", fix=f"write {_usage(head)}")
        return SendContact(" ".join(parts[:-1]), parts[-1])
    if cmd == "react":
        if not rest:
            raise ConfigError("/react needs an emoji", fix="write /react 👍")
        return React(rest)
    if cmd == "reply":
        if not rest:
            raise ConfigError("/reply needs the text of the reply", fix="write /reply Sim, pode ser")
        return ReplyTo(rest)
    if cmd == "tap":
        if not rest:
            raise ConfigError("/tap needs the title of a button or list row", fix="write /tap Ver planos")
        return Tap(rest)
    if cmd == "advance":
        return Advance(limits.clock_move(rest or "?", "/advance"), rest)
    if cmd == "late":
        delay, _, message = rest.partition(" ")
        if not message.strip():
            raise ConfigError("/late needs a delay and the text", fix="write /late 25h Quero um orçamento")
        return SendLate(limits.clock_move(delay, "/late"), message.strip())
    if cmd == "read":
        return MarkRead()
    if cmd in ("help", "?"):
        return ShowHelp()
    raise ConfigError(f"unknown command {head}", fix="commands: " + ", ".join(command_names())
                      + " (start with // to send a message that begins with /)")


def command_names() -> list[str]:
    """Every composer command, the media ones each by name (/document is /doc's long form)."""
    media = [f"/{c}" for c in MEDIA_COMMANDS if c != "document"]
    return [n for u in USAGE for n in (media if u.startswith("/image ") else [u.split()[0]])]


def _split(rest: str, head: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as exc:
        raise ConfigError(f"cannot read the arguments of {head}: {exc}", fix="close the quotes around a path") from None


def _media(cmd: str, rest: str, project_dir: Path | None) -> SendMedia:
    parts = _split(rest, f"/{cmd}")
    if not parts:
        raise ConfigError(f"/{cmd} needs a file path", fix=f"write /{cmd} PATH [caption]")
    path = Path(parts[0]).expanduser()
    if not path.is_absolute() and project_dir is not None:
        path = project_dir / path
    if not path.is_file():
        raise ConfigError(f"no such file: {parts[0]}", where=str(path), fix="give the path of a file that exists (relative to the project)")
    caption = " ".join(parts[1:]) or None
    return SendMedia(MEDIA_COMMANDS[cmd], path, caption)


def _location(rest: str) -> SendLocation:
    parts = rest.replace(",", " ").split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        raise ConfigError("/location needs a latitude and a longitude", fix="write /location -23.55 -46.63 Av. Paulista") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ConfigError(f"not a place on Earth: {lat}, {lon}", fix="latitude -90..90, longitude -180..180")
    return SendLocation(lat, lon, " ".join(parts[2:]) or None)
