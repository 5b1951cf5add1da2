"""Synthetic German organisation profiles for benchmarks at any N.

    python -m evaluation.synthetic 10000 > /tmp/profiles.csv

Profiles are built from a hand-written German vocabulary of 16 technology fields
(nouns, compounds built from their parts, verbs, applications), so the texts have
what the real ones have: long compounds ("Wasserstoffdruckspeicher"), umlauts and ß,
mixed lengths (one short sentence to a dozen), offers/seeks/keywords that are
sometimes empty, and postcodes drawn from every Saxon postcode the gazetteer knows
(so every district appears, weighted like the real postcode density). Deterministic
for a seed. Nothing here is real: the firms, towns' firms and people are invented.

For N beyond what two CPU cores can embed in a session (≥ 100k), see
``derive_passages``: real passages of an embedded sample are recombined and their
vectors jittered, so the index and matcher see realistic vectors and terms without
embedding every text. That measures index and matcher cost, never the encoder's.
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass

import numpy as np

#: field -> (nouns, compound heads/tails, applications)
FIELDS = {
    "laser": (["Laserstrahlschweißen", "Laserschneiden", "Ultrakurzpulslaser", "Lasermikrobearbeitung",
               "Oberflächenstrukturierung", "Laserauftragschweißen", "Strahlquelle", "Faserlaser"],
              ["Laser", "Strahl", "Schweiß", "Schneid", "Optik"], ["Aluminiumbauteile", "Karosserieteile",
                                                                   "Medizinprodukte", "Werkzeugformen"]),
    "leichtbau": (["Faserverbundwerkstoffe", "Leichtbaustrukturen", "Carbonfasern", "Textilbewehrung",
                   "Hybridbauteile", "Sandwichplatten", "Spritzgussverfahren", "Thermoplaste"],
                  ["Leichtbau", "Verbund", "Faser", "Struktur", "Kunststoff"], ["Fahrzeugbau", "Luftfahrt",
                                                                               "Schienenfahrzeuge", "Windkraftanlagen"]),
    "wasserstoff": (["Elektrolyseure", "Brennstoffzellen", "Wasserstoffspeicherung", "Druckbehälter",
                     "Bipolarplatten", "Membranen", "Wasserstofftankstellen", "Power-to-Gas"],
                    ["Wasserstoff", "Speicher", "Energie", "Druck", "Zellen"], ["Nutzfahrzeuge", "Gewerbegebiete",
                                                                                "Stadtwerke", "Industrieparks"]),
    "ki": (["maschinelles Lernen", "Bildverarbeitung", "Anomalieerkennung", "Sprachverarbeitung",
            "neuronale Netze", "Datenanalyse", "Prognosemodelle", "Qualitätsprüfung"],
           ["Daten", "Bild", "Modell", "Prüf", "Lern"], ["Fertigungslinien", "Logistikzentren",
                                                        "Verwaltungen", "Krankenhäuser"]),
    "medizin": (["Medizintechnik", "Implantate", "Diagnostik", "Biosensoren", "Zellkulturen",
                 "Wirkstoffentwicklung", "Telemedizin", "Rehabilitationstechnik"],
                ["Medizin", "Bio", "Zell", "Sensor", "Therapie"], ["Kliniken", "Pflegeeinrichtungen",
                                                                   "Arztpraxen", "Labore"]),
    "batterie": (["Lithium-Ionen-Batterien", "Batterierecycling", "Zellchemie", "Batteriemanagementsysteme",
                  "Festkörperbatterien", "Ladeinfrastruktur", "Elektrodenbeschichtung", "Energiespeicher"],
                 ["Batterie", "Zell", "Lade", "Elektroden", "Speicher"], ["Elektrofahrzeuge", "Heimspeicher",
                                                                          "Netzbetreiber", "Flurförderzeuge"]),
    "mikroelektronik": (["Halbleiterfertigung", "Chipdesign", "Sensorik", "Leiterplatten", "Waferprozesse",
                         "Aufbau- und Verbindungstechnik", "Mikrosysteme", "Leistungselektronik"],
                        ["Halbleiter", "Chip", "Sensor", "Schaltungs", "Mikro"], ["Automobilzulieferer",
                                                                                  "Industrieelektronik",
                                                                                  "Medizingeräte", "Funkmodule"]),
    "textil": (["technische Textilien", "Smart Textiles", "Vliesstoffe", "Textilveredelung",
                "Strickverfahren", "Funktionsbekleidung", "Garnentwicklung", "Beschichtungen"],
               ["Textil", "Garn", "Gewebe", "Faser", "Vlies"], ["Schutzkleidung", "Filteranlagen",
                                                               "Bautextilien", "Sportartikel"]),
    "recycling": (["Kreislaufwirtschaft", "Kunststoffrecycling", "Sortiertechnik", "Rohstoffrückgewinnung",
                   "Abfallvermeidung", "Sekundärrohstoffe", "Demontage", "Aufbereitungsanlagen"],
                  ["Recycling", "Rohstoff", "Sortier", "Abfall", "Kreislauf"], ["Verpackungen", "Elektroschrott",
                                                                               "Bauabfälle", "Altfahrzeuge"]),
    "holz": (["Holzbau", "Holzwerkstoffe", "Brettsperrholz", "Möbelfertigung", "Holzschutz",
              "Forstwirtschaft", "Biokunststoffe", "Zellulose"],
             ["Holz", "Forst", "Möbel", "Platten", "Bio"], ["Wohngebäude", "Innenausbau", "Verpackungen",
                                                           "Dämmstoffe"]),
    "lebensmittel": (["Lebensmitteltechnologie", "Fermentation", "Haltbarmachung", "Verpackungstechnik",
                      "Lebensmittelsicherheit", "Proteinalternativen", "Backwaren", "Brauereitechnik"],
                     ["Lebensmittel", "Getränke", "Protein", "Back", "Frische"], ["Bäckereien",
                                                                                "Molkereien", "Großküchen",
                                                                                "Handel"]),
    "bau": (["Betonfertigteile", "Bauwerksüberwachung", "Sanierung", "Gebäudetechnik", "Carbonbeton",
             "Bauinformationsmodellierung", "Brückenbau", "Dämmung"],
            ["Bau", "Beton", "Gebäude", "Brücken", "Fassaden"], ["Kommunen", "Wohnungsgenossenschaften",
                                                                "Ingenieurbüros", "Bauunternehmen"]),
    "umwelt": (["Wasseraufbereitung", "Luftreinhaltung", "Bodensanierung", "Umweltmonitoring",
                "Abwasserbehandlung", "Klimaanpassung", "Renaturierung", "Emissionsmessung"],
               ["Wasser", "Umwelt", "Luft", "Boden", "Klima"], ["Kläranlagen", "Bergbaufolgelandschaften",
                                                               "Landwirtschaft", "Gemeinden"]),
    "software": (["Softwareentwicklung", "Cloud-Plattformen", "IT-Sicherheit", "Digitalisierung",
                  "Automatisierungssoftware", "Datenbanken", "mobile Anwendungen", "Schnittstellen"],
                 ["Software", "Daten", "Plattform", "Sicherheits", "Steuerungs"], ["Mittelständler",
                                                                                  "Handwerksbetriebe",
                                                                                  "Behörden", "Praxen"]),
    "maschinenbau": (["Werkzeugmaschinen", "Umformtechnik", "Zerspanung", "Sondermaschinenbau",
                      "Antriebstechnik", "Instandhaltung", "Robotik", "Montageanlagen"],
                     ["Maschinen", "Werkzeug", "Antriebs", "Montage", "Roboter"], ["Automobilindustrie",
                                                                                  "Kunststoffverarbeiter",
                                                                                  "Gießereien", "Textilindustrie"]),
    "oberflaeche": (["Oberflächentechnik", "Galvanik", "Plasmabeschichtung", "Korrosionsschutz",
                     "Dünnschichttechnik", "Lackierung", "Reinigungsverfahren", "Härtung"],
                    ["Oberflächen", "Schicht", "Beschichtungs", "Korrosions", "Plasma"], ["Stahlbau",
                                                                                         "Werkzeugbau",
                                                                                         "Solarindustrie",
                                                                                         "Optik"]),
}
TAILS = ["technik", "verfahren", "anlagen", "systeme", "prüfung", "entwicklung", "lösungen",
         "werkstoffe", "prozesse", "module", "forschung", "fertigung"]
KINDS = (("kmu", 0.55), ("research", 0.2), ("startup", 0.18), ("other", 0.07))
NAME_PARTS = {
    "kmu": ["{X} GmbH", "{X}werk GmbH", "{X} & Söhne KG", "{X}technik Sachsen GmbH", "{X} Systeme AG"],
    "research": ["Institut für {X}", "Professur {X}", "Fraunhofer-Abteilung {X}", "Forschungsgruppe {X}"],
    "startup": ["{X} Labs UG", "{X}.io GmbH", "{X} Analytics GmbH", "{X} Ventures UG"],
    "other": ["Netzwerk {X} e. V.", "Cluster {X} Sachsen e. V.", "Verband {X} e. V."],
}
SYLLABLES = ["Elb", "Erz", "Mulde", "Saxo", "Lausitz", "Vogt", "Pleiße", "Zschopau", "Neiße", "Spree",
             "Kamenz", "Freiberg", "Görlitz", "Meißner", "Zwickauer", "Plauener", "Röder", "Wesenitz"]
DESCRIBE = [
    "Wir entwickeln {a} für {app}.",
    "Unser Team arbeitet seit {year} an {a} und {b}.",
    "Im Mittelpunkt stehen {a}, {b} und {c}.",
    "Wir sind spezialisiert auf {compound} für {app} in ganz Sachsen.",
    "Die Gruppe erforscht {a} und überträgt die Ergebnisse gemeinsam mit Anwendern in die Praxis.",
    "Mit {n} Beschäftigten fertigen wir {compound} in kleinen und mittleren Serien.",
    "Unsere Prüflabore bewerten {a} nach DIN-Normen und begleiten Zulassungen.",
    "Ein Schwerpunkt ist die Verbindung von {a} mit {b2} aus dem Bereich {field2}.",
    "Für {app} liefern wir {compound} vom Prototyp bis zur Großserie.",
    "Aus einem Forschungsprojekt zu {a} ist unser Geschäftsmodell für {app} entstanden.",
    "Wir beraten {app} bei {a} und übernehmen Planung, Bau und Inbetriebnahme.",
    "Gemeinsam mit Hochschulen in Dresden, Chemnitz und Freiberg verbessern wir {compound}.",
]
OFFER = ["{a} als Dienstleistung", "Machbarkeitsstudien zu {compound}", "Prüfstände für {b}",
         "Pilotanlagen für {a}", "Schulungen zu {compound}", "Auftragsforschung zu {a} und {b}"]
SEEK = ["Partner aus dem Bereich {b2} für ein gemeinsames Förderprojekt",
        "Pilotanwender für {compound}", "Forschungspartner für {a}", "Zulieferer für {compound}",
        "Fachkräfte und Studierende für {a}", "Investoren für {compound}"]


@dataclass
class Generator:
    seed: int = 42

    def __post_init__(self):
        from geo import Gazetteer, is_saxon_postcode

        self.rng = np.random.default_rng(self.seed)
        postcodes = Gazetteer()._d.postcodes
        self.postcodes = sorted(p for p in postcodes if is_saxon_postcode(p))
        self.fields = list(FIELDS)

    def _compound(self, field: str) -> str:
        heads = FIELDS[field][1]
        return heads[self.rng.integers(len(heads))] + TAILS[self.rng.integers(len(TAILS))]

    def _fill(self, template: str, field: str, other: str) -> str:
        nouns, _, apps = FIELDS[field]
        a, b, c = self.rng.choice(nouns, 3, replace=False)
        return template.format(a=a, b=b, c=c, compound=self._compound(field),
                               app=apps[self.rng.integers(len(apps))],
                               b2=FIELDS[other][0][self.rng.integers(len(FIELDS[other][0]))],
                               field2=other.capitalize(), year=int(self.rng.integers(1991, 2024)),
                               n=int(self.rng.integers(5, 400)))

    def profile(self, number: int) -> dict:
        rng = self.rng
        kind = rng.choice([k for k, _ in KINDS], p=[w for _, w in KINDS])
        field, other = rng.choice(self.fields, 2, replace=False)
        name = rng.choice(NAME_PARTS[kind]).format(
            X=rng.choice(SYLLABLES) + rng.choice(FIELDS[field][1]).lower())
        # Lengths vary like real profiles: many short ones, a long tail (geometric).
        n_sentences = min(14, 1 + int(rng.geometric(0.3)))
        description = " ".join(self._fill(rng.choice(DESCRIBE), field if rng.random() < 0.8 else other, other)
                               for _ in range(n_sentences))
        offers = "; ".join(self._fill(rng.choice(OFFER), field, other)
                           for _ in range(int(rng.integers(0, 4))))
        seeks = "; ".join(self._fill(rng.choice(SEEK), field, other)
                          for _ in range(int(rng.integers(0, 3))))
        keywords = "; ".join(dict.fromkeys(
            [str(w) for w in rng.choice(FIELDS[field][0], int(rng.integers(0, 6)))]
            + [self._compound(field) for _ in range(int(rng.integers(0, 3)))]))
        return {"id": f"syn-{number:07d}", "name": name, "kind": str(kind), "description": description,
                "offers": offers, "seeks": seeks, "keywords": keywords,
                "postcode": self.postcodes[int(rng.integers(len(self.postcodes)))],
                "listed": "ja" if rng.random() > 0.02 else "nein", "field": field}

    def profiles(self, n: int, start: int = 0) -> list[dict]:
        return [self.profile(i) for i in range(start, start + n)]


COLUMNS = ["id", "name", "kind", "description", "offers", "seeks", "keywords", "postcode", "listed"]


def write_csv(rows: list[dict], path_or_handle) -> None:
    handle = open(path_or_handle, "w", newline="", encoding="utf-8") if isinstance(path_or_handle, str) \
        else path_or_handle
    writer = csv.DictWriter(handle, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    if handle is not path_or_handle:
        handle.close()


def derive_passages(sample: list[list], n: int, rng: np.random.Generator, jitter: float = 0.04):
    """Profiles for large N from an embedded sample: each derived profile takes the passages of
    one sample profile plus, half the time, one passage of another (so profiles are not plain
    copies), and every vector gets Gaussian jitter and is re-normalised.

    ``sample``: per sample profile, a list of (field, text, terms, vector). Yields lists of
    (field, position, text, terms, vector) — vectors float32, unit length.
    """
    flat = [p for passages in sample for p in passages]
    for i in range(n):
        base = sample[int(rng.integers(len(sample)))]
        chosen = list(base)
        if rng.random() < 0.5:
            chosen.append(flat[int(rng.integers(len(flat)))])
        vectors = np.vstack([p[3] for p in chosen]).astype(np.float32)
        vectors += rng.normal(0, jitter, vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        yield [(f, k, text, terms, vectors[k]) for k, (f, text, terms, _) in enumerate(chosen)]


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    write_csv(Generator().profiles(count), sys.stdout)
