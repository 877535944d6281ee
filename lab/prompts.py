"""Prompt files: Markdown with a small YAML header, one system prompt variant per file.

    ---
    id: whatsapp_agent.default
    description: Atendente geral, tom cordial
    model: gpt-4o-mini
    temperature: 0.3
    variables: [empresa]
    version: 1
    ---
    Você é o atendente da {{ empresa }} ...

`id` defaults to the file name without `.md`; the flow the prompt serves is the part of the id
before the first dot (`whatsapp_agent.concise` serves `whatsapp_agent`). The text is deployed as a
namespace file (`prompts/<id>.md`, and `prompts/<flow>.md` for the active variant) that the flow
reads with `read()`; `{{ name }}` variables are left for Kestra to render.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lab import yamlio
from lab.errors import ConfigError

_HEADER_KEYS = {"id", "description", "model", "temperature", "variables", "version"}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(slots=True)
class PromptFile:
    """One prompt variant: its header, its text and what it costs in tokens."""

    id: str
    path: Path
    text: str
    description: str = ""
    model: str | None = None
    temperature: float | None = None
    variables: list[str] = field(default_factory=list)
    version: int = 1
    body_line: int = 1  # 1-based line where the text starts in the file

    @property
    def flow(self) -> str:
        """The flow this prompt serves (the id up to the first dot)."""
        return self.id.split(".", 1)[0]

    @property
    def variant(self) -> str:
        """The variant name (`default`, `concise`, ...): the id after the first dot."""
        return self.id.split(".", 1)[1] if "." in self.id else "default"

    @property
    def hash(self) -> str:
        """Short sha256 of the text, as cassettes record it to tell a changed prompt from a miss."""
        return prompt_hash(self.text)

    @property
    def tokens(self) -> int:
        """Token count of the text (tiktoken, offline, the model's encoding)."""
        return count_tokens(self.text, self.model)

    @property
    def namespace_path(self) -> str:
        """Where the variant lands among the namespace files."""
        return f"prompts/{self.id}.md"

    def undeclared_variables(self) -> list[str]:
        """`{{ name }}` placeholders used in the text but not declared in the header."""
        used = set(re.findall(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}", self.text))
        return sorted(used - set(self.variables))


def prompt_hash(text: str) -> str:
    """sha256 of a prompt text, first 12 hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def count_tokens(text: str, model: str | None = None) -> int:
    """Tokens in text for model, through the gateway's offline tiktoken path when it exists."""
    try:
        from lab.llm import tokens as llm_tokens  # the gateway's offline-seeded tiktoken

        return int(llm_tokens.count_text(text, model or "gpt-4o-mini"))
    except (ImportError, AttributeError):
        pass
    try:
        # lazy: start-up, tiktoken and its encodings load only when tokens are counted
        import tiktoken

        try:
            enc = tiktoken.encoding_for_model(model or "gpt-4o-mini")
        except KeyError:
            enc = tiktoken.get_encoding("o200k_base")
        return len(enc.encode(text))
    except Exception:  # noqa: BLE001 - no encoding offline: a rough estimate beats a crash in a listing
        return max(1, len(text) // 4)


def parse_prompt(text: str, path: Path) -> PromptFile:
    """Parse one prompt file's text; errors name the file and line."""

    where = str(path)
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ConfigError(
            "a prompt file starts with a YAML header between '---' lines",
            where=f"{where}:1",
            fix="put '---', then id/description/model/temperature/variables/version, then '---' before the text",
        )
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise ConfigError(
            "the YAML header is not closed",
            where=f"{where}:1",
            fix="add a line with '---' after the header",
        )
    header_text = "".join(lines[1:end])
    try:
        header = yamlio.loads(header_text, source=where) or {}
    except ConfigError as exc:  # shift the header's line numbers to the file's
        m = re.search(r":(\d+):(\d+)$", exc.where or "")
        at = f"{where}:{int(m.group(1)) + 1}" if m else where
        raise ConfigError(exc.what, where=at, fix=exc.fix) from None
    if not isinstance(header, dict):
        raise ConfigError("the prompt header must be a YAML mapping", where=f"{where}:2")
    unknown = set(header) - _HEADER_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            f"unknown key {key!r} in the prompt header",
            where=f"{where}:{_line_of_key(lines, key, end)}",
            fix=f"known keys: {', '.join(sorted(_HEADER_KEYS))}",
        )
    body = "".join(lines[end + 1 :]).strip("\n") + "\n"
    pid = str(header.get("id") or path.name.removesuffix(".md"))
    if not _ID_RE.match(pid):
        raise ConfigError(
            f"prompt id {pid!r} is not valid",
            where=f"{where}:{_line_of_key(lines, 'id', end)}",
            fix="use letters, digits, '_', '-' and '.' (e.g. whatsapp_agent.concise)",
        )
    return PromptFile(
        id=pid,
        path=path,
        text=body,
        description=str(header.get("description") or ""),
        model=_typed(header, "model", str, lines, end, where),
        temperature=_typed(header, "temperature", float, lines, end, where),
        variables=[str(v) for v in (_typed(header, "variables", list, lines, end, where) or [])],
        version=int(_typed(header, "version", int, lines, end, where) or 1),
        body_line=end + 2,
    )


def _typed(
    header: dict[str, Any], key: str, kind: type, lines: list[str], end: int, where: str
) -> Any:
    value = header.get(key)
    if value is None:
        return None
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    raise ConfigError(
        f"{key!r} must be a {kind.__name__}, not {type(value).__name__} ({value!r})",
        where=f"{where}:{_line_of_key(lines, key, end)}",
        fix={
            "temperature": "write a number, e.g. temperature: 0.3",
            "variables": "write a list, e.g. variables: [empresa]",
            "version": "write version: 1",
        }.get(key, f"write {key}: <text>"),
    )


def _line_of_key(lines: list[str], key: str, end: int) -> int:
    for i in range(1, end):
        if re.match(rf"\s*{re.escape(key)}\s*:", lines[i]):
            return i + 1
    return 2


_PARSED: dict[
    Path, tuple[str, PromptFile]
] = {}  # path -> (text, parsed): one YAML parse per distinct text


def load_prompt(path: str | Path) -> PromptFile:
    """Load one prompt file (parsed once per process while its text is unchanged; a fresh copy each call)."""
    p = Path(path)

    if not p.exists():
        raise ConfigError(
            f"prompt file not found: {p}",
            where=str(p),
            fix="check the path (prompts/<flow>.<variant>.md)",
        )
    text = yamlio.read_text(p)
    hit = _PARSED.get(p)
    if hit is None or hit[0] != text:
        hit = _PARSED[p] = (text, parse_prompt(text, p))
    return replace(hit[1], variables=list(hit[1].variables))


def load_prompts(directory: str | Path) -> list[PromptFile]:
    """Every `*.md` prompt in directory (README.md excluded), sorted by id; duplicate ids are an error."""
    d = Path(directory)
    if not d.is_dir():
        return []
    prompts: list[PromptFile] = []
    seen: dict[str, Path] = {}
    for path in sorted(d.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        prompt = load_prompt(path)
        if prompt.id in seen:
            raise ConfigError(
                f"two prompt files have the id {prompt.id!r}",
                where=f"{seen[prompt.id]} and {path}",
                fix="give each variant its own id",
            )
        seen[prompt.id] = path
        prompts.append(prompt)
    return sorted(prompts, key=lambda p: p.id)


def find_prompt(prompts: list[PromptFile], prompt_id: str) -> PromptFile:
    """The prompt with that id (or `<flow>` alone for its default variant)."""
    for p in prompts:
        if p.id == prompt_id or (p.flow == prompt_id and p.variant == "default"):
            return p
    known = ", ".join(p.id for p in prompts) or "none"
    raise ConfigError(f"no prompt {prompt_id!r}", fix=f"known prompts: {known}")


def variant_cassette_path(own: Path, variant: str) -> Path:
    """Where `variant`'s recordings of a conversation live beside its cassette `own`.

    A cassette is recorded with one prompt variant (its keys carry the prompt's hash); another
    variant replays from its own sibling, `NAME.<variant>.cassette.yaml` (the id without the flow
    prefix), so recording one variant never rewrites another's.
    """
    short = variant.split(".", 1)[1] if "." in variant else variant
    return own.with_name(own.name.replace(".cassette.yaml", f".{short}.cassette.yaml"))
