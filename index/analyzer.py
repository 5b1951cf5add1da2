"""German text analysis for lexical matching: lemmas, stop words, compound parts.

The offline embedding model has an English vocabulary, so German word matching
carries much of the signal. A term is the folded Snowball stem of the spaCy
lookup lemma: "Schweißen", "schweißt" and "Schweiß" all become ``schweiss``.
Compounds are split against a dictionary of German base forms so that
"Laserstrahlschweißen" also yields ``las``/``strahl``/``schweiss`` terms and meets
"Schweißtechnik" or "Laserstrahl" halfway.
"""
from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import snowballstemmer

from partnerradar.cache import cached_path, derived
from vocabulary.abbreviations import ABBREVIATIONS

#: Words that say nothing about what an organisation does, common in queries
#: ("Wer kann uns bei ... helfen?") and in legal names.
DOMAIN_STOP_WORDS = {
    "gmbh", "mbh", "ag", "kg", "co", "ug", "ev", "e.v.", "gbr", "ohg", "eg", "inc", "ltd",
    "helfen", "hilfe", "suchen", "sucht", "gesucht", "suche", "bieten", "bietet", "anbieten",
    "unterstützen", "unterstützung", "partner", "partnerin", "kooperationspartner", "firma",
    "unternehmen", "wer", "uns", "unser", "unsere", "unserer", "wir", "können", "kann",
    "möchten", "brauchen", "benötigen", "bereich", "bereichen", "thema", "themen", "sowie",
    "insbesondere", "bzw", "z.b.", "u.a.", "ca", "etc", "verbundprojekt", "teilprojekt",
    "vorhaben", "projekt", "entwicklung", "region", "sachsen", "sächsisch", "sächsischen",
}

_LINKS = ("", "s", "es", "n", "en", "e", "er")
#: Inflection the head of a compound may carry ("Aluminiumbauteil-e").
_HEAD_ENDINGS = ("", "e", "en", "n", "s", "es", "er", "ern")
_MIN_PART = 3
_MIN_COMPOUND = 8
#: Longer (folded) words are no compounds anyone writes ("Grundstücksverkehrsgenehmigungs-
#: zuständigkeitsübertragungsverordnung" has 70 letters folded) but an attacker's "HausHaus…":
#: they are neither split nor cached, so a 20,000-letter word costs one stemming pass, not
#: minutes of splitting, and cannot fill the caches with huge keys.
MAX_COMPOUND = 80
_WORD = re.compile(r"[^\W\d_]{2,}(?:-[^\W\d_]+)*", re.UNICODE)


def _import_spacy():
    """spaCy without torch: its thinc imports torch when it is installed (2-3 s and ~300 MB
    at every cold start) though a blank pipeline with a lookup lemmatizer never uses it. Only
    the embedding factory may load torch (for a sentence-transformers model); if it already
    has, spaCy simply sees it."""
    import sys

    if "torch" in sys.modules or "spacy" in sys.modules:
        import spacy
        return spacy
    sys.modules["torch"] = None          # makes "import torch" fail inside thinc only
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def fold(text: str) -> str:
    """Lowercase and spell out umlauts/ß, so that 'Fügetechnik' meets 'Fuegetechnik'."""
    text = text.lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    return text


@dataclass(frozen=True)
class Token:
    surface: str   # as written, for explanations
    term: str      # matching key
    parts: tuple[str, ...] = ()   # keys of compound parts (without the head-only duplicates)


class GermanAnalyzer:
    """Turns German text into matching terms; safe to share between threads."""

    def __init__(self):
        self._lemmas, self._words, self._stops = _tables()
        #: No dictionary part is longer: the splitter tries no longer candidates, so its work
        #: per word is bounded by len(word) × this, not len(word)².
        self._longest_part = max(map(len, self._words))
        # A Snowball stemmer keeps the word it works on in itself: one per thread, or two
        # server threads stemming at once corrupt each other (IndexError under load).
        self._stemmers = threading.local()
        self._stem = lru_cache(maxsize=200_000)(self._stem_uncached)
        self._split = lru_cache(maxsize=200_000)(self._split_uncached)
        self._long: dict[str, list[str]] | None = None
        self._short: dict[str, tuple[str, ...]] | None = None

    # -- public -----------------------------------------------------------------
    def _stem_uncached(self, word: str) -> str:
        stemmer = getattr(self._stemmers, "stemmer", None)
        if stemmer is None:
            stemmer = self._stemmers.stemmer = snowballstemmer.stemmer("german")
        return stemmer.stemWord(word)

    def tokens(self, text: str) -> list[Token]:
        """Content tokens of ``text`` in order, stop words removed."""
        out = []
        for word in _WORD.findall(text or ""):
            lemma = self._lemma(word)
            key = fold(lemma)
            if key in self._stops or fold(word) in self._stops or len(key) < 2:
                continue
            pieces = [p for p in key.split("-") if p]
            term = self._stem_any(key.replace("-", ""))
            parts = []
            for piece in pieces:
                parts.extend(self._split(piece) if _MIN_COMPOUND <= len(piece) <= MAX_COMPOUND else [piece])
            part_terms = tuple(dict.fromkeys(
                self._stem_any(p) for p in parts if p not in self._stops and len(p) >= _MIN_PART))
            if part_terms == (term,):
                part_terms = ()
            out.append(Token(word, term, part_terms))
        return out

    def terms(self, text: str) -> list[str]:
        """Terms for an index: each word's term followed by its compound parts."""
        result = []
        for token in self.tokens(text):
            result.append(token.term)
            result.extend(p for p in token.parts if p != token.term)
        return result

    def alternatives(self, text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """Other spellings of what ``text`` says, for the query side of the lexical signal:
        (terms as written, terms of the other form), in order of the text. An abbreviation
        of ``vocabulary/abbreviations.py`` and its spelled-out form ("KI" stands for
        ("kunstlich", "intelligenz"), "künstliche Intelligenz" for ("ki",)), and a verb in
        -ieren and its noun in -ierung. The signal scores the query written either way; the
        index is not touched (its terms are the text's as written)."""
        tokens = self.tokens(text)
        found: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            head, _, rest = token.surface.partition("-")
            short = _abbreviation(head)
            if short is not None:
                written = (token.term, *token.parts)
                other = tuple(self.terms(ABBREVIATIONS[short])) + (tuple(self.terms(rest)) if rest else ())
                found.append((written, tuple(dict.fromkeys(other))))
                i += 1
                continue
            for short, words in self._long_forms().items():
                if words and [t.term for t in tokens[i:i + len(words)]] == words:
                    span = tokens[i:i + len(words)]
                    written = tuple(dict.fromkeys(t for tok in span for t in (tok.term, *tok.parts)))
                    found.append((written, self._short_terms()[short]))
                    i += len(words)
                    break
            else:
                other = self._word_family(token)
                if other is not None:
                    found.append(((token.term, *token.parts), other))
                i += 1
        return found

    def _word_family(self, token: Token) -> tuple[str, ...] | None:
        """The noun of a verb in -ieren and the verb of a noun in -ierung: the stemmer makes
        "digitalisi" of "digitalisieren" and "digitalisier" of "Digitalisierung", so a need
        to "Instandhaltung digitalisieren" never met a firm's "Digitalisierung"."""
        word = fold(token.surface)
        if "-" in word or len(word) > MAX_COMPOUND:
            return None
        match = _IER_VERB.match(word)
        other = match and match.group(1) + "ung"
        if not match:
            match = _IER_NOUN.match(word)
            other = match and match.group(1) + "en"
        if not match:
            return None
        terms = tuple(t.term for t in self.tokens(other))
        return terms if terms and terms[0] != token.term else None

    def _long_forms(self) -> dict[str, list[str]]:
        """Per abbreviation: the word terms of its spelled-out form (one per word, no parts)."""
        if self._long is None:
            self._long = {short: [t.term for t in self.tokens(words)] for short, words in ABBREVIATIONS.items()}
        return self._long

    def _short_terms(self) -> dict[str, tuple[str, ...]]:
        """Per abbreviation: its own term, as the index has it where a text writes it."""
        if self._short is None:
            self._short = {short: tuple(t.term for t in self.tokens(short)) for short in ABBREVIATIONS}
        return self._short

    def sentences(self, text: str) -> list[str]:
        return split_sentences(text)

    def split_compound(self, word: str) -> list[str]:
        """Dictionary parts of a (folded) compound, or [word] when it doesn't split."""
        word = fold(word)
        return list(self._split(word)) if len(word) <= MAX_COMPOUND else [word]

    # -- internals --------------------------------------------------------------
    def _stem_any(self, word: str) -> str:
        """The stem; only words of a real length go through the cache."""
        return self._stem(word) if len(word) <= MAX_COMPOUND else self._stem_uncached(word)

    def _lemma(self, word: str) -> str:
        # Nouns are capitalised in the table; try as written, then lowercase.
        lemma = self._lemmas.get(word) or self._lemmas.get(word.lower())
        if lemma is None and word[:1].islower():
            lemma = self._lemmas.get(word[:1].upper() + word[1:])
        return lemma or word

    def _split_uncached(self, word: str) -> tuple[str, ...]:
        """Fewest dictionary parts covering ``word``, allowing German linking letters."""
        n = len(word)
        best: list[tuple[int, tuple[str, ...]] | None] = [None] * (n + 1)
        best[0] = (0, ())
        for start in range(n):
            if best[start] is None:
                continue
            count, parts = best[start]
            for end in range(start + _MIN_PART, min(n, start + self._longest_part) + 1):
                part = word[start:end]
                if part not in self._words:
                    continue
                if start > 0 and end < n and len(part) >= 5 and word[end:] in _HEAD_ENDINGS:
                    candidate = (count + 1, parts + (part,))
                    if best[n] is None or candidate[0] < best[n][0]:
                        best[n] = candidate
                for link in _LINKS:
                    stop = end + len(link)
                    if stop > n or word[end:stop] != link:
                        continue
                    # The head (last part) takes no linking letters.
                    if link and stop == n:
                        continue
                    candidate = (count + 1, parts + (part,))
                    if best[stop] is None or candidate[0] < best[stop][0]:
                        best[stop] = candidate
        if best[n] is None or best[n][0] < 2:
            return (word,)
        return best[n][1]


#: Bump when what ``_build_tables`` derives changes: older cache files are then ignored.
_TABLES_FORMAT = 1


def _tables() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    """spaCy's German lemma lookup, the compound dictionary derived from it and the stop words.

    Deriving them means importing spaCy and folding 355,000 lemmas: seconds of CPU at every
    cold start of the CLI. So they are derived once and kept in a cache file, keyed by the
    versions of spaCy and its lookup data and by our own word lists; an unreadable, stale or
    unwritable cache just means deriving them again."""
    key = _tables_key()
    if key is None:
        return _build_tables()

    def build():
        lemmas, words, stops = _build_tables()
        return lemmas, sorted(words), sorted(stops)

    lemmas, words, stops = derived("german-analyzer", key, build)
    return lemmas, frozenset(words), frozenset(stops)


def _build_tables() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    _import_spacy()           # the package without torch; its stop-word module needs it imported
    from spacy.lang.de.stop_words import STOP_WORDS

    raw = resources.files("spacy_lookups_data").joinpath("data/de_lemma_lookup.json.gz").read_bytes()
    lemmas = {k: v for k, v in json.loads(gzip.decompress(raw)).items() if isinstance(v, str)}
    words = {fold(v) for v in lemmas.values() if len(v) >= _MIN_PART}
    words.update(fold(w) for w in _domain_words())
    return lemmas, frozenset(words), frozenset(fold(w) for w in (STOP_WORDS | DOMAIN_STOP_WORDS))


def _tables_cache_path():
    """The cache file of these tables (``partnerradar/cache.py``), or None."""
    key = _tables_key()
    return cached_path("german-analyzer", key) if key is not None else None


def _tables_key() -> str | None:
    """What the tables are derived from: spaCy's and its lookup data's versions, our word lists."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        versions = f"{version('spacy')}/{version('spacy-lookups-data')}"
    except PackageNotFoundError:
        return None
    return "\n".join([str(_TABLES_FORMAT), versions, "\n".join(_domain_words()),
                      "\n".join(sorted(DOMAIN_STOP_WORDS))])


def _domain_words() -> list[str]:
    text = resources.files("index").joinpath("data/domain_words.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _abbreviation(word: str) -> str | None:
    """The entry of ``ABBREVIATIONS`` that ``word`` writes ("KI"; "IOT" for "IoT"), or None.
    Case matters: "ki" or "Ki" in a text is no abbreviation anyone means."""
    if word in ABBREVIATIONS:
        return word
    if word.isupper():
        return _UPPER_ABBREVIATIONS.get(word)
    return None


_UPPER_ABBREVIATIONS = {short.upper(): short for short in ABBREVIATIONS}
#: A verb in -ieren as written (folded) and a noun in -ierung: (stem + "ier", ending).
_IER_VERB = re.compile(r"^([^\W\d_]{3,}ier)(en|e|t|te|ten|tes|ter|tem|st|end|ende|enden)$")
_IER_NOUN = re.compile(r"^([^\W\d_]{3,}ier)(ung|ungen)$")

_ABBREVIATIONS = re.compile(
    r"\b([^\W\d_]|bzw|ca|etc|ggf|inkl|Nr|Dr|Prof|Dipl|Ing|St|Str|vgl|evtl|usw|Co|Mio|Mrd|Tel)\.\s", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÄÖÜ0-9„\"(])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a German text; abbreviations like 'z. B.' or 'Co. KG' don't end one."""
    if not text:
        return []
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(". ", ".\x00"), text)
    parts = _SENTENCE_END.split(protected)
    return [p.replace("\x00", " ").strip() for p in parts if p.strip()]


_shared: GermanAnalyzer | None = None
_shared_lock = threading.Lock()


def get_analyzer() -> GermanAnalyzer:
    """The process-wide analyzer (loading spaCy's tables takes seconds)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = GermanAnalyzer()
        return _shared
