"""Joining project sentences and keywords into profile fields within the schema's limits."""
from __future__ import annotations


def _dedupe(items) -> list[str]:
    seen, out = set(), []
    for item in items:
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _join_limited(items: list[str], sep: str, limit: int) -> str:
    out, size = [], 0
    for item in items:
        extra = len(item) + (len(sep) if out else 0)
        if size + extra > limit:
            break
        out.append(item)
        size += extra
    return sep.join(out)


def _join_sentences(sentences: list[str], limit: int) -> str:
    """One sentence per project, duplicates dropped, cut to the schema's length limit.

    "; " between projects makes each project its own passage (``ingest.passages``): a
    project's topic scores on its own instead of blurred with its neighbours'.
    """
    text = _join_limited([s.rstrip(".") for s in _dedupe(sentences)], "; ", limit - 1)
    return _close(text) if text else text


def _close(sentence: str) -> str:
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."
