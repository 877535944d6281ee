"""Token counts with tiktoken, offline: its cache is seeded from the encodings in the bpe-openai wheel.

tiktoken downloads `o200k_base` / `cl100k_base` on first use and keeps them in a cache directory
(`TIKTOKEN_CACHE_DIR`, one file per blob named by the sha1 of its URL, checked against a sha256).
The bpe-openai wheel ships the same files gzipped, so we write them into that cache, after checking
their sha256 equals what tiktoken expects, and tiktoken never reaches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import marshal
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from lab.errors import LabError
from lab.llm.token_counts import TokenCountFile

# The blob URLs and sha256 tiktoken_ext.openai_public uses (tests check they still agree).
ENCODING_BLOBS: dict[str, tuple[str, str]] = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}

# OpenAI's chat format: every message costs 3 tokens of framing, a `name` one more, and the
# reply is primed with 3 (the cookbook's num_tokens_from_messages for gpt-4o / gpt-4 families).
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


def cache_dir() -> Path:
    """The tiktoken cache directory: TIKTOKEN_CACHE_DIR if set, else walab's own under XDG cache."""
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return Path(os.environ["TIKTOKEN_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "walab" / "tiktoken"


def seed_cache(directory: Path | None = None) -> Path:
    """Write the bpe-openai encoding files into tiktoken's cache and point tiktoken at it."""
    target = directory or cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    data_dir = _wheel_data_dir()
    for name, (url, expected) in ENCODING_BLOBS.items():
        path = target / hashlib.sha1(url.encode()).hexdigest()
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == expected:
            continue
        raw = gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())
        actual = hashlib.sha256(raw).hexdigest()
        if actual != expected:
            raise LabError(
                f"the {name} encoding shipped in bpe-openai does not match tiktoken's (sha256 {actual[:12]}…)",
                where=str(data_dir),
                fix="install matching versions of tiktoken and bpe-openai (pip install -U tiktoken bpe-openai)",
            )
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(target)
    return target


def _wheel_data_dir() -> Path:
    # find_spec locates the package without importing it (its import loads a 74 MB extension).
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        raise LabError(
            "the bpe-openai package is not installed; walab counts tokens offline with its encodings",
            fix="install walab's dependencies: ./walab --version (or pip install bpe-openai)",
        )
    return Path(list(spec.submodule_search_locations)[0]) / "data"


@lru_cache(maxsize=256)
def encoding_name_for(model: str) -> str:
    """The encoding a model uses; o200k_base (current OpenAI models) when tiktoken does not know it."""
    # lazy: start-up, tiktoken and its encodings load only when tokens are counted
    import tiktoken.model

    try:
        name = tiktoken.model.encoding_name_for_model(model)
    except KeyError:
        return "o200k_base"
    return name if name in ENCODING_BLOBS else "o200k_base"


@lru_cache(maxsize=4)
def encoding(name: str = "o200k_base") -> Any:
    """A tiktoken Encoding, loaded from the seeded cache (never downloaded).

    tiktoken parses the 200k-line base64 file in Python on every start (~0.2 s); the parsed
    tables are kept beside it as a marshal file, which loads in a fraction of that.
    """
    # lazy: start-up, tiktoken and its encodings load only when tokens are counted
    import tiktoken

    compiled = _compiled_path(name)
    args = _load_compiled(compiled)
    if args is not None:
        return tiktoken.Encoding(**args)
    seed_cache()
    enc = tiktoken.get_encoding(name)
    _save_compiled(compiled, enc)
    return enc


def _compiled_path(name: str) -> Path:
    return cache_dir() / f"{_encoding_key(name)}.marshal"


@lru_cache(maxsize=4)
def _encoding_key(name: str) -> str:
    """The encoding's identity in file names: the blob's hash and the file defining the encodings'
    patterns and special tokens (another tiktoken install means another key), found without
    importing tiktoken (a replay whose counts are all kept never imports it)."""
    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    definitions = spec.origin if spec is not None and spec.origin else ""
    try:
        st = os.stat(definitions)
        stamp = f"{st.st_size:x}{st.st_mtime_ns:x}"
    except OSError:
        stamp = "unknown"
    blob_hash = ENCODING_BLOBS.get(name, ("", "unknown"))[1]
    return f"{name}-{blob_hash[:16]}-{stamp}"


@lru_cache(maxsize=4)
def _kept_counts(name: str) -> TokenCountFile:
    return TokenCountFile(cache_dir() / f"{_encoding_key(name)}.counts")


def _load_compiled(path: Path) -> dict[str, Any] | None:
    try:
        args = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    keys = {"name", "pat_str", "mergeable_ranks", "special_tokens"}
    if (
        not isinstance(args, dict)
        or set(args) != keys
        or not isinstance(args["mergeable_ranks"], dict)
    ):
        return None
    return args


def _save_compiled(path: Path, enc: Any) -> None:
    data = marshal.dumps(
        {
            "name": enc.name,
            "pat_str": enc._pat_str,
            "mergeable_ranks": enc._mergeable_ranks,
            "special_tokens": enc._special_tokens,
        }
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:  # a read-only cache only costs the next process the slower load
        pass


def count_text(text: str, model: str = "gpt-4o-mini") -> int:
    """Tokens of a plain text."""
    return _count(encoding_name_for(model), text)


@lru_cache(maxsize=8192)
def _count(encoding_name: str, text: str) -> int:
    # Scripted and replayed conversations resend the same system prompt and history on every
    # call: counting each distinct text once takes most of the encoding work off a turn, and
    # the counts kept from earlier runs spare a replay building the encoder at all.
    kept = _kept_counts(encoding_name)
    count = kept.get(text)
    if count is None:
        count = len(encoding(encoding_name).encode(text, disallowed_special=()))
        kept.add(text, count)
    return count


def count_messages(
    messages: list[dict[str, Any]], model: str = "gpt-4o-mini", tools: list[Any] | None = None
) -> int:
    """Prompt tokens of a chat request, framing included (an estimate when tools are present)."""
    name = encoding_name_for(model)
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if value is None:
                continue
            total += _count(name, _as_text(value))
            if key == "name":
                total += TOKENS_PER_NAME
    if tools:
        # Tool definitions are rendered into the prompt in an undocumented format; their JSON
        # is a close, slightly high, stand-in.
        total += _count(name, orjson.dumps(tools).decode())
    return total


def count_reply(message: dict[str, Any], model: str = "gpt-4o-mini") -> int:
    """Completion tokens of an assistant message (text and tool calls)."""
    name = encoding_name_for(model)
    total = 0
    if message.get("content"):
        total += _count(name, _as_text(message["content"]))
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        total += _count(name, f"{fn.get('name', '')}{fn.get('arguments', '')}")
    return total


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts: count their text
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in value)

    return orjson.dumps(value).decode()
