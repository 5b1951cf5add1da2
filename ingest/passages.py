"""Split a profile into passages, the units that are embedded and scored.

Two kinds of vector per profile, because each wins where the other fails:

* passages: one to a few consecutive sentences of one field. A firm with many topics
  scores by its best passage, so one closely matching project is not averaged away.
* one whole-profile vector (field ``profile``): name and keywords first, then what it
  does and offers (not what it seeks), cut to the model's window. With a 512-token
  multilingual model it reads the firm as a whole and beat per-passage max-sim on the
  EFRE data (issue 13: R@10 0.48 vs 0.35, content only).

A passage stays well inside the 512-token window of multilingual-e5-small (XLM-R
pieces: ~1.7 per German word), so the model never cuts one.
"""
from __future__ import annotations

from index.analyzer import split_sentences
from vocabulary.profile import Profile

#: ~100 German words ~ 170 XLM-R pieces: inside a 512-token window with room to spare,
#: short enough that a passage is about one thing.
MAX_WORDS = 100
FIELD_ORDER = ("description", "offers", "seeks", "keywords")
#: The field name of the whole-profile passage (it has no terms of its own: its words are
#: the other passages' words, and must not count twice in the lexical index).
WHOLE_FIELD = "profile"
#: What the whole-profile text is made of, in this order: the name and keywords say most
#: per token, and a firm's needs say what it lacks, not what it is.
WHOLE_ORDER = ("keywords", "description", "offers")


def passages_of(profile: Profile, max_words: int = MAX_WORDS) -> list[tuple[str, str]]:
    """(field, text) pairs in profile order."""
    out: list[tuple[str, str]] = []
    for field in FIELD_ORDER:
        text = getattr(profile, field)
        if not text:
            continue
        if field == "keywords":
            # Keywords carry the organisation's name for the embedding ("Laserzentrum" says
            # what it does); its lexical terms leave the name out (``lexical_text``).
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


#: What a passage's stored lexical terms are made of (the analyzer and ``lexical_text``).
#: Bump it when either changes what they give: a store whose terms are older is brought up
#: to date by ``partnerradar reindex`` without embedding anything (``Radar.reindex``).
#: 2: the keywords passage's terms without the organisation's name (issue 13).
TERMS_VERSION = 2


def passage_terms(analyzer, name: str, field: str, text: str) -> str:
    """The stored lexical terms of one passage (space-separated); the whole-profile vector's
    passage has none (its words are its passages' already)."""
    if field == WHOLE_FIELD:
        return ""
    return " ".join(analyzer.terms(lexical_text(name, field, text)))


def lexical_text(name: str, field: str, text: str) -> str:
    """The words a passage's lexical terms come from: the keywords passage without the
    organisation's name in front. A name is no evidence of what a firm does: "KI Keramik-
    Institut" is no answer to "KI", "Interactive Minds" none to "Lärm mindern" (issue 13);
    the embedding still reads the name, and a profile that is nothing but its name keeps it."""
    prefix = f"{name}: "
    if field == "keywords" and name and text.startswith(prefix):
        return text[len(prefix):]
    return text


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


def whole_profile_text(name: str, passages: list[tuple[str, str]]) -> str:
    """The text of the whole-profile vector, from ``passages_of``'s (field, text) pairs
    (the keywords passage starts with the name; without one the name goes first)."""
    parts = [text for field in WHOLE_ORDER for f, text in passages if f == field]
    if not any(f == "keywords" for f, _ in passages):
        parts.insert(0, name + ":")
    return " ".join(parts)


def fit_to_window(text: str, count_tokens, max_tokens: int) -> str:
    """The longest prefix of whole words of ``text`` the model reads in one window."""
    if count_tokens(text) <= max_tokens:
        return text
    words = text.split()
    low, high = 1, len(words)       # invariant: the first ``low`` words fit (or low == 1)
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(" ".join(words[:middle])) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])
