"""The composer's little language: plain text is a message, `/command ...` is any other act.

One language for every place a person types acts (the TUI's composer, `walab record`): it reads
text into the `lab.conversation.actions` vocabulary, which `Lab.perform` runs. Pure parsing, so
every command and every mistake is unit-tested; a mistake is a `ConfigError` saying what is wrong
and how to write it, and the composer keeps the text.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from lab import limits
from lab.conversation.actions import (
    ALL_FAULT_OPTIONS,
    Action,
    Advance,
    ArmFault,
    ContactCard,
    React,
    Read,
    ReplyTo,
    SendContacts,
    SendLocation,
    SendMedia,
    SendText,
    SendVoice,
    SwitchContact,
    Tap,
    media_kind,
)
from lab.errors import ConfigError
from lab.phone_numbers import looks_like_number, split_name_and_number

MEDIA_COMMANDS = {
    "image": "image",
    "doc": "document",
    "document": "document",
    "audio": "audio",
    "video": "video",
    "sticker": "sticker",
}


@dataclass(frozen=True, slots=True)
class ShowHelp:
    """`/help`: not an act of the user, the front end shows its keys and commands."""


USAGE: dict[str, str] = {
    "/image PATH [caption]": "send a photo (also /doc, /audio, /video, /sticker)",
    '/voice "texto" | FILE': "send a voice note: the text spoken in pt-BR, or a recording",
    "/media PATH [caption]": "send a file, its kind guessed from the suffix",
    "/location LAT LON [name]": "share a location",
    "/contact NAME PHONE": "share a contact card (the number as you would dial it: "
    "+55 51 99999-0000, (51) 99999-0000)",
    "/react EMOJI": "react to the last business message",
    "/reply TEXT": "reply (quote) to the last business message",
    "/tap TITLE": "tap a reply button or list row by its title",
    "/advance 25h": "move the virtual clock forward (25h, 90m, 2d, 1h30m)",
    "/late 25h TEXT": "a message the bot receives 25 h late: its replies fall outside the "
    "24-hour window",
    "/dup TEXT": "a message whose webhook Meta delivers twice",
    "/read": "open the chat: the business's messages become read",
    "/as NAME [PHONE]": "chat as another contact (a name, its first letters, or a phone number); "
    "with a PHONE, a new contact of that name and number (/as Ana Lima +55 11 91234-5678)",
    "/fault NAME [N] [CODE]": "the next N sends or model calls fail: "
    + ", ".join(ALL_FAULT_OPTIONS)
    + " (CODE: fail_next's Meta code, server_error's HTTP status)",
    "/help": "show the keys and commands",
}


def parse_command(text: str, *, project_dir: Path | None = None) -> Action | ShowHelp:
    """What the person typed, as the act to perform (a relative media path is the project's)."""
    raw = text.strip()
    if not raw:
        raise ConfigError("nothing to send", fix="type a message, or /help for the commands")
    if not raw.startswith("/") or raw.startswith("//"):
        return SendText(raw[1:] if raw.startswith("//") else raw)
    head, _, rest = raw.partition(" ")
    cmd = head[1:].lower()
    rest = rest.strip()
    if cmd in MEDIA_COMMANDS or cmd == "media":
        return _media(cmd, rest, project_dir)
    if cmd == "voice":
        return _voice(rest, project_dir)
    if cmd in _COMMANDS:
        return _COMMANDS[cmd](rest)
    raise ConfigError(
        f"unknown command {head}",
        fix="commands: "
        + ", ".join(command_names())
        + " (start with // to send a message that begins with /)",
    )


def command_names() -> list[str]:
    """Every composer command, the media ones each by name (/document is /doc's long form)."""
    media = [f"/{c}" for c in MEDIA_COMMANDS if c != "document"]
    return [n for u in USAGE for n in (media if u.startswith("/image ") else [u.split()[0]])]


def _usage(cmd: str) -> str:
    return next((usage for usage in USAGE if usage.split()[0] == cmd), "/help")


def _split(rest: str, head: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as exc:
        raise ConfigError(
            f"cannot read the arguments of {head}: {exc}", fix="close the quotes around a path"
        ) from None


def _needs(rest: str, what: str, example: str) -> str:
    if not rest:
        raise ConfigError(what, fix=f"write {example}")
    return rest


def _media(cmd: str, rest: str, project_dir: Path | None) -> SendMedia:
    parts = _split(rest, f"/{cmd}")
    if not parts:
        raise ConfigError(f"/{cmd} needs a file path", fix=f"write /{cmd} PATH [caption]")
    path = Path(parts[0]).expanduser()
    if not path.is_absolute() and project_dir is not None:
        path = project_dir / path
    if not path.is_file():
        raise ConfigError(
            f"no such file: {parts[0]}",
            where=str(path),
            fix="give the path of a file that exists (relative to the project)",
        )
    kind = media_kind(path) if cmd == "media" else MEDIA_COMMANDS[cmd]
    return SendMedia(kind, path, " ".join(parts[1:]) or None)


def _voice(rest: str, project_dir: Path | None) -> SendVoice:
    """`/voice FILE` sends a recording that exists; anything else is said (quotes optional)."""
    said = _needs(
        rest,
        "/voice needs a text to say or a recording",
        '/voice "Oi, quero um orçamento" or /voice FILE',
    )
    parts = _split(rest, "/voice")
    if len(parts) == 1:
        path = Path(parts[0]).expanduser()
        if not path.is_absolute() and project_dir is not None:
            path = project_dir / path
        if path.is_file():
            return SendVoice(path=path)
    return SendVoice(say=" ".join(parts) if parts else said)


def _location(rest: str) -> SendLocation:
    parts = rest.replace(",", " ").split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        raise ConfigError(
            "/location needs a latitude and a longitude",
            fix="write /location -23.55 -46.63 Av. Paulista",
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ConfigError(
            f"not a place on Earth: {lat}, {lon}", fix="latitude -90..90, longitude -180..180"
        )
    return SendLocation(lat, lon, " ".join(parts[2:]) or None)


def _contact(rest: str) -> SendContacts:
    """`/contact João Silva +55 51 99999-0000`: the card's number as people write it."""
    name, wa_id = split_name_and_number(_split(rest, "/contact"))
    if not name or wa_id is None:
        raise ConfigError(
            "/contact needs a name and a phone",
            fix="write /contact João Silva +55 51 99999-0000 (the number as you would dial it)",
        )
    return SendContacts((ContactCard(name, f"+{wa_id}"),))


# Fewer digits than any phone number has (with its area code): part of a name, not a number.
MIN_NUMBER_DIGITS = 8


def _as(rest: str) -> SwitchContact:
    """`/as João` switches; `/as Ana Lima +55 11 91234-5678` adds Ana as a new contact first."""
    who = _needs(rest, "/as needs a contact", "/as João")
    if looks_like_number(who):
        return SwitchContact(who)  # a contact by their number
    try:
        name, wa_id = split_name_and_number(who.split())
    except ConfigError:
        if sum(ch.isdigit() for ch in who) >= MIN_NUMBER_DIGITS:
            raise  # a number, mistyped: say how to write it
        return SwitchContact(who)  # a name with a number in it (`Pessoa 3`)
    return SwitchContact(name, number=wa_id) if wa_id else SwitchContact(who)


def _late(rest: str) -> SendText:
    delay, _, message = rest.partition(" ")
    if not message.strip():
        raise ConfigError(
            "/late needs a delay and the text", fix="write /late 25h Quero um orçamento"
        )
    return SendText(message.strip(), delivered_after=limits.clock_move(delay, "/late"))


def _fault(rest: str) -> ArmFault:
    parts = rest.split()
    if not parts or parts[0] not in ALL_FAULT_OPTIONS or len(parts) > 3:
        raise ConfigError(
            f"/fault needs one of {', '.join(ALL_FAULT_OPTIONS)}",
            fix="write /fault rate_limit, /fault fail_next 1 131026 or /fault server_error 2",
        )
    try:
        numbers = [int(p) for p in parts[1:]]
    except ValueError:
        raise ConfigError(
            f"/fault {parts[0]}: the count and the code are whole numbers",
            fix="write /fault fail_next 1 131026",
        ) from None
    count = numbers[0] if numbers else 1
    code = numbers[1] if len(numbers) > 1 else None
    if code is not None and parts[0] not in ("fail_next", "server_error"):
        raise ConfigError(
            f"/fault {parts[0]} takes no code", fix=f"write /fault {parts[0]} {count}"
        )
    if parts[0] == "server_error":
        return ArmFault("server_error", count, http_status=code)
    return ArmFault(parts[0], count, code=code)


_COMMANDS = {
    "location": _location,
    "contact": _contact,
    "react": lambda rest: React(_needs(rest, "/react needs an emoji", "/react 👍")),
    "reply": lambda rest: ReplyTo(
        _needs(rest, "/reply needs the text of the reply", "/reply Sim, pode ser")
    ),
    "tap": lambda rest: Tap(
        _needs(rest, "/tap needs the title of a button or list row", "/tap Ver planos")
    ),
    "advance": lambda rest: Advance(limits.clock_move(rest or "?", "/advance"), rest),
    "late": _late,
    "dup": lambda rest: SendText(_needs(rest, "/dup needs the text", "/dup Oi"), duplicates=1),
    "read": lambda rest: Read(),
    "as": _as,
    "fault": _fault,
    "help": lambda rest: ShowHelp(),
    "?": lambda rest: ShowHelp(),
}
