"""``partnerradar evaluate``: the leave-one-joint-project-out yardstick from the command line.

Wired into the CLI with ``main.add_command(evaluate)``. Writes ``results.json`` (means,
95% bootstrap intervals, run metadata) and ``results.md`` to ``--out``; prints the
Markdown table, or with ``--json`` {dataset: {mode: {ranker: {recall@10, ndcg@10, mrr,
queries}}}}.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from partnerradar.cli_common import _fail

# The harness (scikit-learn, FAISS, torch) is imported only when the command runs:
# every other ``partnerradar`` command would pay for it at start-up otherwise.
SUMMARY_KEYS = ("recall@10", "ndcg@10", "mrr", "queries")
#: The issue's targets for the default ranker (for later tuning).
TARGET_RECALL = {"efre": 0.80, "ptdesy": 0.70}
TARGET_NDCG_FACTOR = 1.25


def _choices(value: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    """The comma-separated names in ``value`` of ``option``; a German error names the bad ones."""
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in items if v not in allowed]
    if not items:
        _fail(f"{option} braucht mindestens einen Wert (erlaubt: {', '.join(allowed)})")
    if bad:
        unknown = "Unbekannter Wert" if len(bad) == 1 else "Unbekannte Werte"
        _fail(f"{unknown} für {option}: {', '.join(f'„{v}“' for v in bad)} (erlaubt: {', '.join(allowed)})")
    return items


def summary(results: dict) -> dict:
    """Only the four keys per ranker (the --json contract)."""
    return {ds: {mode: {name: {k: values[k] for k in SUMMARY_KEYS} for name, values in rankers.items()}
                 for mode, rankers in modes.items()} for ds, modes in results.items()}


def _cell(values: dict, metric: str) -> str:
    mean, ci = values[metric], values["ci95"][metric]
    if mean is None:
        return "–"
    return f"{mean:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def _ranker_order() -> tuple[str, ...]:
    from evaluation.baselines import NAMES
    from evaluation.harness import ABLATIONS

    return (*NAMES, "default", *ABLATIONS.values())


def markdown(report: dict) -> str:
    """One table per dataset and mode: every ranker with R@10, nDCG@10 and MRR (95% CI)."""
    meta, order = report["meta"], _ranker_order()
    lines = ["# Partner ranking: leave one joint project out", "",
             f"Data: `{meta['data']}`, model `{meta['model']}`, seeker: {meta['seeker']}, "
             f"seed {meta['seed']}, run time {meta['total_s']:.0f}s. "
             "Brackets: 95% bootstrap interval over queries (1000 resamples). "
             "MRR looks at the first 100 places.", ""]
    for ds, modes in report["results"].items():
        info = meta["datasets"][ds]
        for mode, rankers in modes.items():
            some = next(iter(rankers.values()), None)
            n = some["queries"] if some else 0
            lines += [f"## {ds} / {mode} ({n} queries; {info['profiles']} profiles, "
                      f"{info['skipped'][mode]} of {info['joint_projects']} joint projects skipped)", ""]
            if not n:
                lines += ["No query could be asked.", ""]
                continue
            lines += ["| ranker | R@10 | nDCG@10 | MRR | top 10 without content | R@10 / nDCG@10 half B |",
                      "|---|---|---|---|---|---|"]
            for name in sorted(rankers, key=lambda r: order.index(r) if r in order else len(order)):
                values = rankers[name]
                label = f"**{name}**" if name == "default" else name
                lines.append(f"| {label} | {_cell(values, 'recall@10')} | {_cell(values, 'ndcg@10')} "
                             f"| {_cell(values, 'mrr')} | {_guard_cell(values)} | {_half_cell(values)} |")
            lines += ["", _target_line(ds, rankers), ""]
    return "\n".join(lines)


def _guard_cell(values: dict) -> str:
    guard = values.get("unsupported@10")
    return "–" if guard is None else f"{guard:.3f}"


def _half_cell(values: dict) -> str:
    half = values.get("half_b")
    if not half or half.get("recall@10") is None:
        return "–"
    return f"{half['recall@10']:.3f} / {half['ndcg@10']:.3f}"


def _target_line(ds: str, rankers: dict) -> str:
    from evaluation.baselines import NAMES

    default = rankers.get("default")
    baselines = {k: v for k, v in rankers.items() if k in NAMES and v["ndcg@10"] is not None}
    if not default or default["ndcg@10"] is None or not baselines:
        return ""
    best = max(baselines, key=lambda k: baselines[k]["ndcg@10"])
    ratio = default["ndcg@10"] / max(baselines[best]["ndcg@10"], 1e-9)
    return (f"Target: R@10 {default['recall@10']:.3f} (≥ {TARGET_RECALL.get(ds, 0):.2f}); nDCG@10 "
            f"{ratio:.2f} × best baseline {best} (≥ {TARGET_NDCG_FACTOR:.2f}).")


@click.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default="../shared/data",
              show_default=True, help="Ordner mit den Förderexporten (oder dessen Unterordner funding/).")
@click.option("--json", "as_json", is_flag=True, help="Kennzahlen als JSON ausgeben.")
@click.option("--out", type=click.Path(file_okay=False), default="docs/evaluation", show_default=True,
              help="Ordner für results.json und results.md.")
@click.option("--datasets", default="efre,ptdesy", show_default=True,
              help="Förderdaten, durch Komma getrennt.")
@click.option("--modes", default="title,profile", show_default=True,
              help="Anfrage: title (Projekttitel) und/oder profile (Profil des Suchenden).")
@click.option("--max-queries", type=click.IntRange(min=1), default=None,
              help="Nur die ersten N gemeinsamen Projekte je Datensatz (für schnelle Läufe).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Startwert für die Zufalls-Baseline, Gleichstände und das Bootstrapping.")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="Datenbanken der Evaluierung hier behalten (spätere Läufe sparen das Einbetten); "
                   "Standard: ein temporärer Ordner.")
@click.option("--dump", "dump_path", type=click.Path(dir_okay=False), default=None,
              help="Die Kandidaten jeder Anfrage mit ihren Signalen in diese Datei schreiben "
                   "(Pickle, zum Abstimmen der Gewichte ohne neuen Lauf).")
@click.pass_context
def evaluate(ctx, data_dir, as_json, out, datasets, modes, max_queries, seed, workdir, dump_path):
    """Messen, wie gut die Suche Projektpartner findet.

    Je gemeinsamem Förderprojekt (EFRE, PT-DESY) wird das Projekt aus den Daten genommen; dann
    sucht sein erster Partner, und gemessen wird, wie weit oben die anderen Partner stehen
    (Recall@10, nDCG@10, MRR). Schreibt results.json und results.md nach --out und gibt die
    Tabelle aus.
    """
    from evaluation.harness import DATASETS, MODES, evaluate as run
    from partnerradar.config import load_settings

    datasets = _choices(datasets, DATASETS, "--datasets")
    modes = _choices(modes, MODES, "--modes")
    config = (ctx.find_root().obj or {}).get("config")
    echo = lambda message: click.echo(message, err=True)  # noqa: E731 - progress goes to stderr
    try:
        report = run(data_dir, datasets, modes, max_queries, seed, workdir, load_settings(config),
                     progress=sys.stderr.isatty(), echo=echo, dump_path=dump_path)
    except FileNotFoundError as exc:
        _fail(str(exc), 1)
    table = markdown(report)
    if out:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
        (folder / "results.md").write_text(table + "\n", encoding="utf-8")
        echo(f"Geschrieben: {folder / 'results.json'}, {folder / 'results.md'}")
    if as_json:
        click.echo(json.dumps(summary(report["results"]), ensure_ascii=False, indent=2))
    else:
        click.echo(table)
