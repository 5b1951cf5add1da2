"""Guessing an organisation's kind from its name (the exports have no type column)."""
from __future__ import annotations

import re


#: Names that are research whatever their legal form ("Helmholtz-Zentrum ... GmbH",
#: "Institut für Luft- und Kältetechnik gemeinnützige Gesellschaft mbH").
_RESEARCH_FIRST = re.compile(
    r"universit|hochschule|fraunhofer|leibniz|max-planck|helmholtz|forschungszentrum"
    r"|bergakademie|akademie der wissenschaften|sternwarte|observator|bundesanstalt"
    r"|synchrotron|college|graduate school|\bfür\s+[\w-]*forschung\b"
    r"|^\S*institut|^\S+\s+\S*institut", re.IGNORECASE)
_RESEARCH_ABBREVIATIONS = re.compile(r"\b(?:TU|FH|HTWK?|HfT)\b|\bProf\.")
#: Short legal forms are case-sensitive ("AG" is a company, "ag" in a word is not),
#: except GmbH, which small firms also write "gmbh" or glue on ("technologygmbh").
#: "gGmbH" (non-profit) is no company form here.
_COMPANY = re.compile(
    r"\b(?:mbH|AG|KG|KGaA|OHG|GbR|UG|eG|SE|Ltd|Limited|Inc|e\.\s?K\.|e\.\s?G\.)(?!\w)"
    r"|(?<![\s-]g)(?i:gmbh)(?!\w)")
_COMPANY_WORDS = re.compile(
    r"mit beschränkter haftung|aktiengesellschaft|genossenschaft", re.IGNORECASE)
#: After the legal form: a "School of Design GmbH" is a private school run as a firm,
#: a "School of Engineering" without one is part of a university.
_RESEARCH_LATER = re.compile(r"institut|laborator|school of", re.IGNORECASE)
_ASSOCIATION = re.compile(r"\be\.\s?V\.")
_RESEARCH_WORDS = re.compile(
    r"forschung|research|wissenschaft|technolog|entwicklung|zentrum|center|centre", re.IGNORECASE)


def guess_kind(name: str) -> str:
    """'research', 'kmu' or 'other' from the name alone (EFRE and PT-DESY have no type column).

    Order matters: universities and the big research societies first, then legal
    forms of companies (so "Argomotive GmbH Institut für ..." is a company), then
    institutes and research associations ("... Forschung und Technologie e.V.").
    "gGmbH" (non-profit) is no company form here. 'startup' is never guessed.
    """
    if _RESEARCH_FIRST.search(name) or _RESEARCH_ABBREVIATIONS.search(name):
        return "research"
    if _COMPANY.search(name) or _COMPANY_WORDS.search(name):
        return "kmu"
    if _RESEARCH_LATER.search(name):
        return "research"
    if _ASSOCIATION.search(name) and _RESEARCH_WORDS.search(name):
        return "research"
    return "other"
