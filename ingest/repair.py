"""Small, pure repairs for text that went through PDF extraction and spreadsheets.

Public funding lists were typeset as PDF tables and extracted again, which leaves
predictable damage: line breaks inside a cell glue two words together
("Technische UniversitätDresden"), word-wrap hyphens stay in the word
("Produktions-technik"), amounts come in English and German notation, and place
names carry administrative suffixes ("Dresden, Stadt"). Every rule here is
generic (no per-row fixes) and deliberately conservative: a missed repair costs a
little recall in matching, a wrong "repair" invents a name nobody uses.
"""
from __future__ import annotations

import re

from ingest.schema import clean_text

_LOWER = "a-zäöüß"
_UPPER = "A-ZÄÖÜ"
_LETTER = "A-Za-zÄÖÜäöüß"

#: Short words that PDF wrapping glues to the next word ("undEntwicklung").
#: They are split off even though they are shorter than ``MIN_GLUED_WORD``.
#: Two-letter words ("in", "am") are left out: they start brand names ("InLine").
FUNCTION_WORDS = frozenset({
    "und", "oder", "für", "zur", "zum", "mit", "von", "vom", "der", "die", "das", "des",
    "den", "dem", "auf", "bei", "aus", "and",
})

#: A lowercase→Uppercase seam is only split when the word left of it is at least this
#: long. Line-wrap glue happens after whole (mostly long, German) words, while brand
#: names put short parts together ("SmartEnergy", "TechniSat", "MasterSolution").
#: Measured on the EFRE and PT-DESY names: 7 repairs 20 more names than 8
#: ("WilhelmKunath", "ZentrumDresden") and damages 2 ("ThyssenKrupp"); 6 repairs
#: about 17 more than 7 but splits 4 brands ("TechniSat", "MasterSolution").
MIN_GLUED_WORD = 7

#: Legal forms that PDF wrapping glues to the following word ("GmbHLeisnig").
_FORM_THEN_WORD = re.compile(
    rf"(\b(?:GmbH|mbH|GbR|OHG|KG|AG|UG)|\be\.V\.)(?=[{_UPPER}][{_LOWER}]|[{_LOWER}]{{2}})")
#: ... or to the preceding word ("LeipzigGmbH", "PRODUKTEGMBH", "technologygmbh");
#: "gGmbH" is a legal form of its own. AG/KG/UG only after lowercase ("WohnbauAG"),
#: because capitals before them are usually a word ("BAG").
_WORD_THEN_FORM = re.compile(
    rf"(?<=[{_LETTER}0-9]{{2}})(?<![^{_LETTER}]g)(?<!^g)((?i:gmbh)|(?<![Gg])mbH)\b"
    rf"|(?<=[{_LOWER}0-9])(UG|AG|KG)\b")
#: "Oberflächenmodifizierunge.V." — the association suffix glued to the last word.
_GLUED_EV = re.compile(rf"(?<=[{_LOWER}]{{3}})e\.\s?V\.")
#: Prepositions glued to the END of a long word ("Gesellschaftzur", "Institutfür").
#: Only these three: "und"/"der" end too many real words ("Hintergrund", "Kinder").
_GLUED_PREPOSITION = re.compile(rf"(?<=[{_LETTER}]{{6}})(?<=[{_LOWER}])(zur|für|mit)(?=\s)")
#: A lowercase letter directly followed by a capitalised word.
_CAMEL_SEAM = re.compile(rf"(?<=[{_LOWER}])(?=[{_UPPER}][{_LOWER}]{{2}})")
#: "Maschinen-und" — a hyphen directly followed by a conjunction is an elision
#: ("Maschinen- und Anlagenbau") whose space was lost.
_ELISION = re.compile(rf"(?<=[{_LOWER}])-(?=(?:und|oder|bzw|sowie)\b)")
#: "Machinery &Technology", "Beton +Abwassertechnik", "Engineering& Management":
#: one space around the symbol was lost ("D+G", "Produktions-& Dienst..." stay).
_GLUED_SYMBOL = re.compile(rf"(?<=\s)([&+])(?=[{_LETTER}])")
_SYMBOL_GLUED = re.compile(rf"(?<=[{_LOWER}]{{3}})([&+])(?=\s)")
#: The long legal form loses its inner spaces at line breaks ("mitbeschränkter").
_LONG_FORM = re.compile(r"Gesellschaft\s*mit\s*beschränkter\s*Haftung")
#: "Höltschl,Christiane" and "UG(haftungsbeschränkt)".
_GLUED_COMMA = re.compile(rf"(?<=[{_LOWER}]),(?=[{_UPPER}])")
_GLUED_PAREN = re.compile(rf"(?<=[{_LETTER}])\((?=[{_LETTER}]{{2}})")
#: One token split at an inner hyphen between two lowercase letters.
_WRAP_HYPHEN = re.compile(rf"(?<=[{_LOWER}])-(?=[{_LOWER}])")


def repair_name(value) -> str:
    """Repair an organisation name broken by PDF extraction.

    >>> repair_name("Technische UniversitätDresden")
    'Technische Universität Dresden'
    >>> repair_name("A & E - Applikation undEntwicklung Produktions-technik GmbH")
    'A & E - Applikation und Entwicklung Produktionstechnik GmbH'
    """
    name = clean_text(value)
    name = _GLUED_EV.sub(" e.V.", name)
    name = _GLUED_PREPOSITION.sub(r" \1", name)
    name = _FORM_THEN_WORD.sub(r"\1 ", name)
    name = _WORD_THEN_FORM.sub(lambda m: " " + m.group(), name)
    name = _ELISION.sub("- ", name)
    name = _GLUED_SYMBOL.sub(r"\1 ", name)
    name = _SYMBOL_GLUED.sub(r" \1", name)
    name = _LONG_FORM.sub("Gesellschaft mit beschränkter Haftung", name)
    name = _GLUED_COMMA.sub(", ", name)
    name = _GLUED_PAREN.sub(" (", name)
    name = _split_camel_seams(name)
    name = " ".join(_join_wrapped_token(token) for token in name.split(" "))
    return clean_text(name)


def _split_camel_seams(text: str) -> str:
    """Split "UniversitätDresden" but keep brand names like "SmartEnergy" (see MIN_GLUED_WORD)."""
    out, start = [], 0
    for seam in _CAMEL_SEAM.finditer(text):
        pos = seam.start()
        left = re.search(rf"[{_LETTER}]*$", text[start:pos]).group()
        # Only the last capitalised part counts: in "ThyssenKruppCarbon" the word
        # left of the second seam is "Krupp", not "ThyssenKrupp".
        left = re.split(rf"(?<=[{_LOWER}])(?=[{_UPPER}])", left)[-1]
        if len(left) >= MIN_GLUED_WORD or left.lower() in FUNCTION_WORDS:
            out.append(text[start:pos])
            start = pos
    out.append(text[start:])
    return " ".join(out)


def _join_wrapped_token(token: str) -> str:
    """Undo a word-wrap hyphen: "Produktions-technik" → "Produktionstechnik".

    Joined only when the token has exactly one lowercase-lowercase hyphen (chains
    like "sanitär-heizung-elektro" are lists), the right part starts with three
    lowercase letters (not "Lipsia-e-motion") and is no function word
    ("Otto-von-Guericke"), and the left fragment is too long to
    be a prefix word ("afr-consulting", "pro-beam" stay; a capitalised fragment
    like "Geo-technik" may be three letters).
    """
    hyphens = list(_WRAP_HYPHEN.finditer(token))
    if len(hyphens) != 1:
        return token
    pos = hyphens[0].start()
    left = re.search(rf"[{_LETTER}]*$", token[:pos]).group()
    right = token[pos + 1:]
    right_word = re.match(rf"[{_LOWER}]*", right).group()
    if len(right_word) < 3 or right_word in FUNCTION_WORDS or left.lower() in FUNCTION_WORDS:
        return token
    min_left = 3 if left[:1].isupper() else 4
    if len(left) < min_left:
        return token
    return token[:pos] + right


def repair_text(value) -> str:
    """Clean free text (titles, summaries) without touching real hyphens or camel case.

    Titles legitimately contain "In-vitro-Diagnostikum" and "InnoTrans", so only
    extraction artefacts are removed: soft hyphens, zero-width characters, a hyphen
    at a line break between two lowercase letters, and runs of whitespace.

    >>> repair_text("Produktions-\\n technik  für KMU\\u00ad")
    'Produktionstechnik für KMU'
    """
    if value is None:
        return ""
    text = str(value).replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(rf"(?<=[{_LOWER}])-[ \t]*\r?\n\s*(?=[{_LOWER}])", "", text)
    return clean_text(text)


def parse_amount(value) -> float | None:
    """Parse an amount written "3,000.00", "1580,38", "1.234.567", "511292" or "4.000 €".

    The last of ',' and '.' is the decimal mark when both occur; a lone separator
    followed by exactly three digits is a thousands separator ("3,000" = 3000).
    Blank values give None; anything else unparseable raises ValueError.

    >>> parse_amount("3,000.00"), parse_amount("1580,38")
    (3000.0, 1580.38)
    """
    raw = clean_text(value)
    raw = re.sub(r"(?i)(eur|€)", "", raw).replace(" ", "").replace("\u00a0", "")
    if not raw:
        return None
    sign = -1.0 if raw.startswith("-") else 1.0
    digits = raw.lstrip("+-")
    if not re.fullmatch(r"[0-9.,]*[0-9][0-9.,]*", digits):
        raise ValueError(f"unparseable amount {clean_text(value)!r}")
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif digits.count(",") == 1 or digits.count(".") == 1:
        sep = "," if "," in digits else "."
        decimal = None if re.fullmatch(rf"\d{{1,3}}\{sep}\d{{3}}", digits) else sep
    else:
        decimal = None  # several equal separators: all thousands marks
    thousands = {",": ".", ".": ","}.get(decimal) if decimal else None
    if decimal is None:
        digits = digits.replace(",", "").replace(".", "")
    else:
        digits = digits.replace(thousands, "").replace(decimal, ".")
    if digits.count(".") > 1:
        raise ValueError(f"unparseable amount {clean_text(value)!r}")
    return sign * float(digits)


def clean_place(value) -> str:
    """Drop administrative suffixes after the first comma: "Dresden, Stadt" → "Dresden".

    "Seiffen/Erzgeb., Kurort" keeps its regional qualifier ("Seiffen/Erzgeb."),
    because "Oelsnitz/Erzgeb." and "Oelsnitz/Vogtl." are different towns.

    >>> clean_place("Freiberg, Stadt, Universitätsstadt")
    'Freiberg'
    """
    return clean_text(clean_text(value).split(",")[0])
