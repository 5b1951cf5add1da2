"""Two promises of issue 13, checked on the real EFRE list (part of ``make eval``).

* **The niche specialist still wins**: a need paraphrased from a small firm's funded
  project (other words than the firm's own) finds that firm in the top 10, for at least
  85 % of such needs.
* **Content first**: for everyday needs, no top-10 hit lacks content evidence (its best
  content signal, semantic, whole-profile or lexical, at or above ``CONTENT_FLOOR``), and
  the ones the content supports come first: a top-10 hit that is not in the top 10 of
  the same ranking on its content signals alone was carried there by popularity
  (``carried_by_popularity``; activity is the only non-content signal of a need without
  a seeker or place). ``weakly_supported`` counts the hits above the floor in meaning
  alone (``matcher.signals.support_tiers``), ``supported_first`` the needs whose supported
  hits all rank before those.

They read the funding data, so they live here and not in tests/ (which must pass
without it). ``python -m evaluation.quality_checks --data ../shared/data --workdir DIR``;
the database in DIR is the evaluation's own (``partnerradar evaluate --workdir DIR``), so
nothing is embedded twice.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from matcher.ranker import CONTENT_FLOOR, Weights, content_evidence
from matcher.signals import CONTENT_SIGNALS, SIGNAL_NAMES, SUPPORTED, WEAK_EVIDENCE, WORDS_NEED_MEANING
from matcher.request import SearchRequest

#: (EFRE organisation id, a need in other words than its funded project's description)
PARAPHRASED_NEEDS = [
    ("efre:devboost-gmbh", "Hochfrequenz-Testanlagen, die sehr viele Bauteile pro Stunde auch räumlich durchmessen"),
    ("efre:apogepha-arzneimittel-gmbh", "Keime in den Harnwegen abtöten, bevor ein Katheter gelegt wird"),
    ("efre:bueroland-gmbh-ihr-starker-partner-im-buero",
     "Schallschluckende Besprechungskabine aus Bausteinen, die man im Großraumbüro umsetzen kann"),
    ("efre:c-informationssysteme-gmbh",
     "Software, die bei Störungen in Transportketten Schritt für Schritt die Zuständigen alarmiert"),
    ("efre:ant-applied-neuroscience-technologies-gmbh",
     "Leitende poröse Messfühler aus Silikon und Kohlenstoff für Hirnstrommessungen"),
    ("efre:cp-max-rotortechnik-gmbh-co-kg",
     "Risse in Bauteilen laufend überwachen und ihre Größe mit Ultraschall-Plattenwellen bestimmen"),
    ("efre:albert-jahn-s-wwemetallwarenfabrik-gmbh",
     "Prüfen lassen, ob sich unsere Fertigung gepresster Blechteile mit Maschinen selbsttätig erledigen lässt"),
    ("efre:bomabi-gmbh", "Malbücher für Kinder mit einer Handy-App lebendig machen, Figuren erscheinen virtuell im Raum"),
    ("efre:apipro-natura-gbr", "Ein Gerät, mit dem Menschen die warme Luft aus Bienenbeuten einatmen können"),
    ("efre:dietmar-huster-gmbh-co-kg-sondermaschinen-und-metallbau",
     "Maschine, die feuchtes Mauerwerk selbsttätig entfeuchtet"),
    ("efre:abx-cro-advanced-pharmaceutical-services-forschungsgesellschaft-mbh",
     "Arznei gegen den Mangel an weißen Blutkörperchen nach einer Krebsbehandlung"),
    ("efre:camline-dresden-gmbh", "Werkstücke an Handarbeitsplätzen ohne Anfassen lückenlos verfolgen"),
    ("efre:advanced-machinery-technology-chemnitz-gmbh",
     "Viele kleine Rührkessel parallel betreiben und selbsttätig Proben ziehen und analysieren"),
    ("efre:binova-gmbh", "Den Elektromotor eines Pedelecs vor der Serie erproben"),
    ("efre:ais-automation-dresden-gmbh",
     "Lackschichten mit je nach Stelle unterschiedlicher Dicke genau auf gewölbte Teile auftragen"),
    ("efre:baeckerei-brueckner-ohg", "Die Kassen unserer Bäckerläden mit dem zentralen Lager- und Bestellsystem verbinden"),
    ("efre:busse-innovative-systeme-gmbh", "Arzneimittelreste und andere Mikroschadstoffe aus Flüssen und Seen fernhalten"),
    ("efre:argus-gmbh", "Die roten Warnlichter von Windrädern nur einschalten, wenn sich ein Flugzeug nähert"),
    ("efre:albert-schmutzler-gbr-inh-erich-schmutzler-und-frank-schmutzler",
     "Formwerkzeug für winzige, sehr dünne und hohe Kunststoffteile"),
    ("efre:contronix-gmbh", "Abhörsichere Funkchips für stromsparendes Bluetooth in kleinster Halbleitertechnik"),
]

EVERYDAY_NEEDS = [
    "Wärmerückgewinnung aus der Abluft unserer Produktion",
    "Abwärme nutzen",
    "Recycling von Kunststoffabfällen",
    "Instandhaltung digitalisieren",
    "Energieverbrauch unserer Werkhalle senken",
    "Photovoltaik auf dem Firmendach",
    "Abwasser aus der Fertigung reinigen",
    "Lackieren ohne Lösemittel",
    "Verpackungen aus nachwachsenden Rohstoffen",
    "Lieferkette digital nachverfolgen",
    "Roboter für die Montage kleiner Serien",
    "Ersatzteile im 3D-Druck herstellen",
    "Schweißnähte zerstörungsfrei prüfen",
    "Lärm von Maschinen mindern",
    "Wasserstoff als Energiespeicher",
    "IT-Sicherheit für einen kleinen Betrieb",
    "Einen Onlineshop aufbauen",
    "Bauen mit Holz",
    "Künstliche Intelligenz für die Qualitätskontrolle",
    "Qualitätskontrolle von Lebensmitteln im Labor",
]


def run(radar) -> dict:
    ids = radar.index.profiles.row_of
    found, cases = 0, []
    for org_id, need in PARAPHRASED_NEEDS:
        if org_id not in ids:
            cases.append({"id": org_id, "need": need, "rank": None, "missing": True})
            continue
        hits = [h["id"] for h in radar.search(SearchRequest(query=need, limit=10), explain=False)]
        rank = hits.index(org_id) + 1 if org_id in hits else None
        found += rank is not None
        cases.append({"id": org_id, "need": need, "rank": rank})
    asked = sum(1 for c in cases if not c.get("missing"))
    unsupported, weak, carried, needs = 0, 0, 0, []
    content_only = Weights(**{name: 0.0 for name in SIGNAL_NAMES if name not in CONTENT_SIGNALS})
    for need in EVERYDAY_NEEDS:
        found_hits = _ranked(radar, need, radar.weights)
        below = [h for h in found_hits if h["content"] < CONTENT_FLOOR]
        weakly = [h for h in found_hits if h["content"] >= CONTENT_FLOOR and not h["supported"]]
        # Supported hits first: a weakly supported one above a supported one is out of order.
        out_of_order = any(not a["supported"] and b["supported"] for a, b in zip(found_hits, found_hits[1:]))
        by_content = {h["id"] for h in _ranked(radar, need, content_only)}
        lifted = sum(h["id"] not in by_content for h in found_hits)
        unsupported += len(below)
        weak += len(weakly)
        carried += lifted
        # Counts only: a list of the organisations found would be a table derived from the data.
        needs.append({"need": need, "hits": len(found_hits), "without_content": len(below),
                      "weakly_supported": len(weakly), "supported_first": not out_of_order,
                      "carried_by_popularity": lifted,
                      "min_content": round(min((h["content"] for h in found_hits), default=0.0), 3),
                      "first": found_hits[0]["id"] if found_hits else None})
    firsts = [n.pop("first") for n in needs]
    most_often_first = max((firsts.count(f) for f in set(firsts) if f), default=0)
    return {"paraphrased": {"in_top10": found, "asked": asked, "share": round(found / max(asked, 1), 3),
                            "target": 0.85, "cases": cases},
            "everyday": {"hits": sum(n["hits"] for n in needs), "without_content": unsupported,
                         "weakly_supported": weak, "carried_by_popularity": carried,
                         "supported_first": sum(n["supported_first"] for n in needs),
                         "floor": CONTENT_FLOOR, "weak_evidence": WEAK_EVIDENCE,
                         "words_need_meaning": WORDS_NEED_MEANING,
                         "needs_led_by_one_organisation": most_often_first, "needs": needs}}


def _ranked(radar, need: str, weights) -> list[dict]:
    """The top 10 with each hit's content evidence, as the radar ranks them with ``weights``."""
    from matcher.ranker import Query, Ranker

    index = radar.index
    query = Query.for_text(need, radar.analyzer, radar.encoder)
    found = Ranker(index, weights, radar.gazetteer, radar.similarity_range).rank(
        query, SearchRequest(query=need, limit=10))
    content = content_evidence(found.signals)
    return [{"id": index.profiles.ids[r], "content": float(c), "supported": bool(t == SUPPORTED)}
            for r, c, t in zip(found.rows[:10], content[:10], found.tiers[:10])]


def main(argv=None) -> int:
    from evaluation.harness import load_corpus
    from index.embedding import create_embedder
    from partnerradar.config import load_settings
    from partnerradar.radar import Radar

    parser = argparse.ArgumentParser(description="Issue 13's niche and content-first checks on EFRE.")
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--workdir", required=True, help="the evaluation's working folder (efre.db)")
    parser.add_argument("--out", default="docs/evaluation/quality_checks.json")
    args = parser.parse_args(argv)
    settings = load_settings()
    started = time.perf_counter()
    radar = Radar(settings.with_db(Path(args.workdir) / "efre.db"),
                  encoder=create_embedder(settings.model, settings.threads))
    load_corpus(radar, args.data, "efre")     # ingests only what is not there yet
    report = run(radar)
    report["seconds"] = round(time.perf_counter() - started, 1)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    p, e = report["paraphrased"], report["everyday"]
    print(f"Umschriebene Bedarfe: {p['in_top10']} von {p['asked']} Firmen unter den ersten 10 "
          f"({100 * p['share']:.0f} %, Ziel ≥ 85 %)", file=sys.stderr)
    print(f"Alltagsbedarfe: {e['without_content']} von {e['hits']} Treffern ohne inhaltlichen Beleg "
          f"(Schwelle {CONTENT_FLOOR}), {e['weakly_supported']} nur schwach belegt; belegte zuerst bei {e['supported_first']} von {len(EVERYDAY_NEEDS)}; "
          f"{e['carried_by_popularity']} nur durch Bekanntheit unter den "
          f"ersten 10; {e['needs_led_by_one_organisation']} von {len(EVERYDAY_NEEDS)} Bedarfen "
          f"führt dieselbe Organisation an", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
