"""Token counts kept between runs: exact, read back without building the encoder, robust to damage."""

from __future__ import annotations

import pytest

from lab.llm import tokens
from lab.llm.token_counts import TokenCountFile, _digest

TEXTS = [
    "Você é o assistente da Solar Sul Energia. Responda em português, em no máximo 3 frases.",
    "Quanto custa o plano? 👍🏽",
    '{"text": "Temos três planos.", "buttons": ["Básico", "Família", "Premium"]}',
]


@pytest.fixture
def fresh_counts(tmp_path, monkeypatch):
    """A process's first count: no counts in memory, kept counts under tmp_path."""
    compiled = tokens._compiled_path("o200k_base")  # the encoder's tables, from the real cache
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tokens, "_compiled_path", lambda name: compiled)

    def clear() -> None:
        tokens._count.cache_clear()
        tokens._kept_counts.cache_clear()

    clear()
    yield tmp_path
    clear()


def test_kept_counts_equal_the_encoders_and_spare_building_it(fresh_counts, monkeypatch):
    expected = [len(tokens.encoding("o200k_base").encode(t)) for t in TEXTS]
    assert [tokens.count_text(t, "gpt-4o-mini") for t in TEXTS] == expected
    kept = list(fresh_counts.glob("o200k_base-*.counts"))
    assert len(kept) == 1 and len(kept[0].read_text().splitlines()) == len(TEXTS)
    messages = [{"role": "system", "content": TEXTS[0]}, {"role": "user", "content": TEXTS[1]}]
    prompt = tokens.count_messages(messages)

    # the next process: counts come from the file; the encoder is never asked for
    tokens._count.cache_clear()
    tokens._kept_counts.cache_clear()

    def no_encoder(name: str = "o200k_base") -> None:
        raise AssertionError("the encoder was built although every count was kept")

    monkeypatch.setattr(tokens, "encoding", no_encoder)
    assert [tokens.count_text(t, "gpt-4o-mini") for t in TEXTS] == expected
    assert tokens.count_messages(messages) == prompt


def test_a_torn_last_line_and_foreign_lines_are_not_read(tmp_path):
    path = tmp_path / "o200k_base-x.counts"
    TokenCountFile(path).add("Oi", 1)
    # a foreign line, and a last append a crash cut short (no newline: its count may be cut too)
    with path.open("a") as kept:
        kept.write(f"not ours\n{_digest('Boa tarde')} 3")
    again = TokenCountFile(path)
    assert again.get("Oi") == 1
    assert again.get("Boa tarde") is None


def test_an_unwritable_cache_only_loses_the_file(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would be")
    kept = TokenCountFile(blocker / "o200k_base-x.counts")
    kept.add("Oi", 1)  # no error
    assert kept.get("Oi") == 1
    assert TokenCountFile(blocker / "o200k_base-x.counts").get("Oi") is None
