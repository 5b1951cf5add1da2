"""Split a profile into passages, the units that are embedded and scored.

One vector per whole profile is cut at the model's token limit and averages a
firm's many topics into mush; a profile scores by its best passages instead.
A passage is one to a few consecutive sentences of one field, kept well under
the model's limit (German costs ~2.7 tokens per word in an English vocabulary).
"""
from __future__ import annotations

from index.analyzer import split_sentences
from ingest.schema import Profile

#: ~60 German words ~ 160 word pieces: inside a 256-token window with room to spare.
MAX_WORDS = 60
FIELD_ORDER = ("description", "offers", "seeks", "keywords")


def passages_of(profile: Profile, max_words: int = MAX_WORDS) -> list[tuple[str, str]]:
    """(field, text) pairs in profile order."""
    out: list[tuple[str, str]] = []
    for field in FIELD_ORDER:
        text = getattr(profile, field)
        if not text:
            continue
        if field == "keywords":
            # Keywords carry the organisation's name: names like "Laserzentrum" say what it does.
            out.append((field, f"{profile.name}: {text}"))
            continue
        # "; " separates topics (a funded project each, or a list of offers): sentences
        # are grouped within a topic, never across two.
        for part in text.split("; "):
            for chunk in _group(split_sentences(part), max_words):
                out.append((field, chunk))
    if not out:
        out.append(("name", profile.name))
    return out


def _group(sentences: list[str], max_words: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in sentences:
        n = len(sentence.split())
        if n > max_words:   # one overlong sentence: cut it into windows
            if current:
                chunks.append(" ".join(current))
                current, words = [], 0
            tokens = sentence.split()
            chunks.extend(" ".join(tokens[i:i + max_words]) for i in range(0, len(tokens), max_words))
            continue
        if current and words + n > max_words:
            chunks.append(" ".join(current))
            current, words = [], 0
        current.append(sentence)
        words += n
    if current:
        chunks.append(" ".join(current))
    return chunks
