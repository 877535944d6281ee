"""Cassettes: recorded LLM exchanges as YAML a person reviews in a diff, committed with scenarios.

```yaml
version: 1
entries:
- key: 3f9a1c2b7d4e5f60        # sha256 of the canonical request (model, messages, tools, sampling)
  occurrence: 0                # the n-th identical request of the recording session
  kind: chat                   # chat | embeddings
  summary: {model: gpt-4o-mini, messages: 3, last_user: Quero saber o preço}
  reply: Claro! O plano básico custa…
  model: gpt-4o-mini
  system_prompt_hash: 9b0c…    # a changed prompt, model or tool schema is reported as such
  tools_hash: null
  conversation_hash: 1a2b…
  usage: {prompt_tokens: 120, completion_tokens: 30, total_tokens: 150}
  cost_usd: 3.6e-05            # priced when recorded (replay reports it; absent: priced on replay)
  priced_by: genai-prices:model   # or x-litellm-response-cost, usage.cost, genai-prices:alias
  request: {...}               # canonical request, secrets scrubbed
  response: {...}              # or `stream: [chunk, ...]` for a streamed reply
```
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from lab import yamlio
from lab.errors import ConfigError
from lab.llm.canonical import RequestKey
from lab.llm.prices import BY_MODEL
from lab.llm.scrub import Scrubber

VERSION = 1
SUFFIX = ".cassette.yaml"
_log = logging.getLogger("walab.llm")
# Parsed cassettes by the file's identity (path, inode, size, modification time): a batch of simulated
# conversations or scenarios opens a lab per conversation on the same cassette, and parsing it
# again was most of a replayed conversation's CPU (benchmarks/bench_simulate.py). A file written
# since has another identity, so it is parsed afresh.
_PARSED: OrderedDict[tuple[str, int, int, int], tuple[tuple[CassetteEntry, ...], bool]] = (
    OrderedDict()
)
_PARSED_MAX = 32
# An entry's `kind:` line as the cassette writer puts it: a field of a top-level list item (the
# first field at column 0 after "- ", the others at column 2). Request bodies sit deeper, and a
# block scalar's lines are indented past their key, so nothing else in a cassette starts there.
_KIND_LINE = re.compile(rb"^(?:- |  )kind: *['\"]?([A-Za-z_]+)['\"]? *\r?$", re.MULTILINE)


def _ends_in_entries(text: str) -> bool:
    """Whether the document ends with the block list under a top-level `entries:` (append-safe)."""
    if not text.endswith("\n"):
        return False
    for line in reversed(text.splitlines()):
        if line and line[0] not in " -#":
            return line.rstrip() == "entries:"
    return False


@dataclass(slots=True)
class CassetteEntry:
    """One recorded exchange."""

    key: str
    occurrence: int
    kind: str
    model: str
    summary: dict[str, Any]
    request: dict[str, Any]
    response: dict[str, Any] | None = None
    stream: list[dict[str, Any]] | None = None
    usage: dict[str, Any] | None = None
    usage_estimated: bool = False
    cost_usd: float | None = None  # priced when recorded: replay reports it without the price table
    priced_by: str | None = (
        None  # what priced it (lab.llm.prices); older cassettes: genai-prices by model
    )
    system_prompt_hash: str | None = None
    tools_hash: str | None = None
    conversation_hash: str | None = None
    sampling_hash: str | None = None
    reply: str | None = None
    latency_ms: float = 0.0
    recorded_at: str | None = None
    source: str = ""  # the cassette file it came from
    wire: dict[str, bytes] = field(
        default_factory=dict
    )  # serialised bodies, built once on first replay

    def to_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "occurrence": self.occurrence,
            "kind": self.kind,
            "summary": self.summary,
            "reply": self.reply,
            "model": self.model,
            "system_prompt_hash": self.system_prompt_hash,
            "tools_hash": self.tools_hash,
            "conversation_hash": self.conversation_hash,
            "sampling_hash": self.sampling_hash,
            "latency_ms": round(self.latency_ms, 1),
            "recorded_at": self.recorded_at,
            "usage": self.usage,
        }
        if self.usage_estimated:
            data["usage_estimated"] = True
        if self.cost_usd is not None:
            data["cost_usd"] = self.cost_usd
            data["priced_by"] = self.priced_by
        data["request"] = self.request
        if self.stream is not None:
            data["stream"] = self.stream
        else:
            data["response"] = self.response
        return data

    @classmethod
    def from_yaml(cls, data: Any, source: str, index: int) -> CassetteEntry:
        where = f"{source}: entries[{index}]"
        if not isinstance(data, dict):
            raise ConfigError("a cassette entry must be a mapping", where=where)
        missing = [k for k in ("key", "kind", "request") if k not in data]
        if "response" not in data and "stream" not in data:
            missing.append("response or stream")
        if missing:
            raise ConfigError(
                f"cassette entry lacks {', '.join(missing)}",
                where=where,
                fix="re-record the cassette (walab record, or --llm record)",
            )
        return cls(
            key=str(data["key"]),
            occurrence=int(data.get("occurrence") or 0),
            kind=str(data["kind"]),
            model=str(data.get("model") or ""),
            summary=data.get("summary") or {},
            request=data["request"],
            response=data.get("response"),
            stream=data.get("stream"),
            usage=data.get("usage"),
            usage_estimated=bool(data.get("usage_estimated")),
            cost_usd=_cost(data.get("cost_usd"), where),
            priced_by=_priced_by(data, where),
            system_prompt_hash=data.get("system_prompt_hash"),
            tools_hash=data.get("tools_hash"),
            conversation_hash=data.get("conversation_hash"),
            sampling_hash=data.get("sampling_hash"),
            reply=data.get("reply"),
            latency_ms=float(data.get("latency_ms") or 0.0),
            recorded_at=data.get("recorded_at"),
            source=source,
        )


def _priced_by(data: dict[str, Any], where: str) -> str | None:
    if data.get("cost_usd") is None:
        return None
    value = data.get(
        "priced_by", BY_MODEL
    )  # written before `priced_by` existed: genai-prices priced it
    if not isinstance(value, str):
        raise ConfigError(
            f"cassette entry priced_by must be a text, not {value!r}",
            where=where,
            fix="remove the line (the cost is then said to be genai-prices') or re-record",
        )
    return value


def _cost(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(
            f"cassette entry cost_usd must be a non-negative number, not {value!r}",
            where=where,
            fix="remove the line (the cost is then priced from the usage) or re-record",
        )
    return float(value)


@dataclass
class Cassette:
    """One cassette file and its entries."""

    path: Path
    entries: list[CassetteEntry] = field(default_factory=list)
    # The file holds exactly `entries`, as the block list that ends the document: a new entry
    # can be appended to it instead of rewriting the whole file.
    appendable: bool = False

    @classmethod
    def load(cls, path: Path) -> Cassette:
        """The cassette in `path` (none there: an empty one), parsed once per version of the file."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return cls(path)
        # An atomic replace is a new inode, an append a new size: either is another version.
        identity = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        parsed = _PARSED.get(identity)
        if parsed is None:
            cassette = cls._read(path)
            parsed = (tuple(cassette.entries), cassette.appendable)
            _PARSED[identity] = parsed
            while len(_PARSED) > _PARSED_MAX:
                _PARSED.popitem(last=False)
        else:
            _PARSED.move_to_end(identity)
        # A list of its own: a recording appends to it. The entries are shared: once loaded,
        # nothing changes them (a new entry is scrubbed before it joins a list).
        return cls(path, list(parsed[0]), parsed[1])

    @classmethod
    def _read(cls, path: Path) -> Cassette:
        text = yamlio.read_text(path)
        try:
            cassette = cls._parse(path, text)
        except ConfigError as exc:
            # A recording appends one entry per call (the first is written whole); a crash in the
            # middle of an append leaves a torn last entry after whole ones: keep those, drop the tail.
            cut = text.rfind("\n- key:")
            try:
                cassette = cls._parse(path, text[: cut + 1]) if cut > 0 else None
            except ConfigError:
                cassette = None
            if cassette is None or not cassette.entries:
                raise exc from None
            _log.warning(
                "%s: the last entry was cut short (a recording was interrupted); it is ignored",
                path,
            )
            return cassette
        cassette.appendable = _ends_in_entries(text)
        return cassette

    @classmethod
    def _parse(cls, path: Path, text: str) -> Cassette:
        data = yamlio.loads(text, source=str(path))
        if data is None:
            return cls(path)
        if not isinstance(data, dict) or not isinstance(data.get("entries", []), list):
            raise ConfigError(
                "a cassette must be a mapping with `version: 1` and a list `entries`",
                where=str(path),
                fix="re-record it, or fix its top-level keys",
            )
        if data.get("version") != VERSION:
            raise ConfigError(
                f"unsupported cassette version {data.get('version')!r}",
                where=str(path),
                fix=f"cassettes are `version: {VERSION}`; re-record it with this walab",
            )
        entries = [
            CassetteEntry.from_yaml(e, str(path), i)
            for i, e in enumerate(data.get("entries") or [])
        ]
        return cls(path, entries)

    def save(self, *, durable: bool = True) -> None:
        """Write the whole cassette by atomic replace (a crash keeps the previous version);
        `durable=False`: without fsync (`yamlio.write_atomic`)."""
        doc = {"version": VERSION, "entries": [e.to_yaml() for e in self.entries]}
        yamlio.write_atomic(self.path, yamlio.dumps(doc), durable=durable)
        self.appendable = bool(self.entries)

    def add(self, entry: CassetteEntry) -> None:
        """Add a new entry and write it: appended to the file when it can be (constant cost per
        call, however long the recording), else the whole file by atomic replace.

        The appended text is exactly what `save` would write for that entry, so the file reads
        the same either way; a crash during the append tears at most this entry (`load` drops it).
        """
        self.entries.append(entry)
        if not self.appendable or not self.path.exists():
            self.save()
            return
        chunk = yamlio.dumps([entry.to_yaml()]).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_folder(path: Path) -> bool:
    """A folder of cassettes: one that exists, or a path not named like a YAML file (a project's
    `scenarios/` before its first recording, which must not become a file of that name)."""
    return path.is_dir() or not path.exists() and path.suffix not in (".yaml", ".yml")


class CassetteStore:
    """The cassettes a session replays from and records into, indexed by request key.

    Args:
        paths: cassette files, or directories searched for `*.cassette.yaml`; loaded on first use.
        record_to: the file new recordings go to (default: the first file given, else
            `recorded.cassette.yaml` in the first directory).
        secrets: exact secret values to scrub besides anything shaped like a key.
    """

    def __init__(
        self,
        paths: str | Path | Iterable[str | Path],
        *,
        record_to: str | Path | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        items = [paths] if isinstance(paths, str | Path) else list(paths)
        self._given = [Path(p) for p in items]
        files = [p for p in self._given if not _is_folder(p)]
        dirs = [p for p in self._given if _is_folder(p)]
        # A directory alone records into `recorded.cassette.yaml` inside it.
        default = files[0] if files else (dirs[0] / f"recorded{SUFFIX}" if dirs else None)
        self._record_to = Path(record_to) if record_to else default
        self.scrubber = Scrubber(secrets)
        self._cassettes: list[Cassette] | None = None
        self._index: dict[str, list[CassetteEntry]] = {}

    @property
    def record_to(self) -> Path | None:
        """The file new recordings go to."""
        return self._record_to

    def add_secrets(self, secrets: Iterable[str | None]) -> None:
        """Also scrub these exact values (the gateway passes its keys)."""
        self.scrubber = Scrubber([*self.scrubber._values, *secrets])

    @property
    def files(self) -> list[Path]:
        """The cassette files searched, in order."""
        out: list[Path] = []
        for p in self._given:
            out.extend(sorted(p.rglob(f"*{SUFFIX}")) if _is_folder(p) else [p])
        if self._record_to and self._record_to not in out and self._record_to.exists():
            out.append(self._record_to)
        return out

    def describe(self) -> str:
        """The searched cassettes, for error messages."""
        files = self.files
        if not files:
            return (
                "no cassette file ("
                + ", ".join(str(p) for p in self._given)
                + " holds no *.cassette.yaml)"
            )
        return ", ".join(str(f) if f.exists() else f"{f} (not found)" for f in files)

    def _load(self) -> list[Cassette]:
        if self._cassettes is None:
            self._cassettes = [Cassette.load(f) for f in self.files]
            self._index = {}
            for cassette in self._cassettes:
                for entry in cassette.entries:
                    self._index.setdefault(entry.key, []).append(entry)
            for entries in self._index.values():
                entries.sort(key=lambda e: e.occurrence)
        return self._cassettes

    def lookup(self, key: str, occurrence: int = 0) -> CassetteEntry | None:
        """The recording of the n-th identical request; past the last one, the last one again."""
        if self._cassettes is None:
            self._load()
        entries = self._index.get(key)
        if not entries:
            return None
        for entry in entries:
            if entry.occurrence == occurrence:
                return entry
        return entries[-1]

    def has_entries(self, kind: str | None = None) -> bool:
        """Whether any cassette holds a recording (of this kind: chat or embeddings).

        Asked when a lab opens (`lead_uses_llm`). While the store is not loaded, a file in the
        writer's layout (`version: 1` first, entries' `kind:` lines) that shows such an entry
        answers yes without being parsed, so opening a lab does not pay for the cassette before
        its first lookup. Any other answer parses the files: exact, and a broken cassette is
        still reported when the lab opens.
        """
        if self._cassettes is None:
            for path in self.files:
                try:
                    data = path.read_bytes()
                except OSError:
                    break  # parsed below, which reports it
                if not data.startswith(b"version: 1\n"):
                    continue
                kinds = {m.group(1).decode() for m in _KIND_LINE.finditer(data)}
                if kind in kinds or kind is None and kinds:
                    return True
            self._load()
        return any(kind is None or e.kind == kind for es in self._index.values() for e in es)

    def of_kind(self, kind: str) -> list[CassetteEntry]:
        """Every recording of one kind (chat, embeddings, transcription)."""
        self._load()
        return [e for es in self._index.values() for e in es if e.kind == kind]

    def near(self, rk: RequestKey) -> list[CassetteEntry]:
        """Entries of the same conversation (same non-system messages) under another key."""
        self._load()
        return [
            e
            for es in self._index.values()
            for e in es
            if e.conversation_hash == rk.conversation_hash
        ]

    def same_last_user(self, text: str) -> list[CassetteEntry]:
        """Entries whose last user message reads the same (a looser hint for a miss)."""
        self._load()
        return [
            e
            for es in self._index.values()
            for e in es
            if (e.summary or {}).get("last_user") == text
        ]

    def recorded_lines(self, rk: RequestKey, messages: int) -> list[str]:
        """The last user lines replay can answer where this request was made: chat recordings of the
        same model and system prompt with as many messages; when none, every recorded line of the
        model (first seen first)."""
        chats = [e for c in self._load() for e in c.entries if e.kind == "chat"]
        here = [
            e
            for e in chats
            if e.model == rk.model
            and e.system_prompt_hash == rk.system_hash
            and (e.summary or {}).get("messages") == messages
        ]
        lines = [(e.summary or {}).get("last_user") for e in here or chats if e.model == rk.model]
        return list(dict.fromkeys(line for line in lines if line))

    def models(self) -> list[str]:
        """Models that appear in the cassettes."""
        self._load()
        return sorted({e.model for es in self._index.values() for e in es if e.model})

    def record(self, entry: CassetteEntry) -> CassetteEntry:
        """Scrub and store an exchange, replacing an older recording of the same key and occurrence."""
        if self._record_to is None:
            raise ConfigError(
                "no cassette file to record into", fix="give the store a cassette file path"
            )
        cassettes = self._load()
        target = next((c for c in cassettes if c.path == self._record_to), None)
        if target is None:
            target = Cassette(self._record_to)
            cassettes.append(target)
        scrub = self.scrubber.data
        entry.summary, entry.request = scrub(entry.summary), scrub(entry.request)
        entry.response = scrub(entry.response) if entry.response is not None else None
        entry.stream = scrub(entry.stream) if entry.stream is not None else None
        entry.reply = self.scrubber.text(entry.reply) if entry.reply else entry.reply
        entry.recorded_at = entry.recorded_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        entry.source = str(target.path)
        kept = [
            e
            for e in target.entries
            if not (e.key == entry.key and e.occurrence == entry.occurrence)
        ]
        others = [e for e in self._index.get(entry.key, []) if e.occurrence != entry.occurrence]
        self._index[entry.key] = sorted([*others, entry], key=lambda e: e.occurrence)
        if len(kept) == len(target.entries):
            target.add(entry)
        else:  # a re-recording replaces an entry in the middle: rewrite the file
            target.entries = [*kept, entry]
            target.save()
        return entry
