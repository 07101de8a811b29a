"""Commands over gold sets: evaluate extraction, train a relation model, check annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from celebgraph import api
from celebgraph.cli.common import LayerOption, ModelOption, app, check_layer, fail, progress_bar
from celebgraph.errors import CelebgraphError

GoldOption = Annotated[
    Path,
    typer.Option(
        "--gold",
        help="Gold folder: articles.txt, entities.tsv and relations.tsv (with evidence, or "
        "with start/end offsets as in data/annotations).",
    ),
]


@app.command()
def evaluate(
    gold: GoldOption,
    corpus: Annotated[
        Path | None, typer.Option(help="Corpus folder (default: GOLD/../../corpus).")
    ] = None,
    articles: Annotated[
        Path | None, typer.Option("--articles", help="File listing the article ids to score.")
    ] = None,
    folds: Annotated[
        int,
        typer.Option(
            help="Cross-validate: split the gold articles into this many folds (by article) "
            "and extract each fold with a model trained on the others.",
        ),
    ] = 0,
    layer: LayerOption = None,
    model: ModelOption = None,
    errors: Annotated[
        bool, typer.Option("--errors", help="List false positives and misses.")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per core).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Precision, recall and F1 per relation and overall, status accuracy, leaks (rumours
    or denials given as fact) and the precision of the most confident half.

    Example: `celebgraph evaluate --gold data/annotations --corpus corpus/ --folds 5`
    """
    from celebgraph.scoring import format_score

    layer = check_layer(layer)
    try:
        wanted = None
        if articles is not None:
            wanted = [line.strip() for line in articles.read_text().splitlines() if line.strip()]
        with progress_bar(quiet) as on_step:
            result = api.evaluate(gold, corpus, wanted, jobs or None, model, layer, folds, on_step)
    except OSError as exc:
        raise fail(CelebgraphError(f"{exc.filename}: {exc.strerror}")) from None
    except CelebgraphError as exc:
        raise fail(exc) from None
    typer.echo(format_score(result, errors))
    if result.thresholds:
        typer.echo(f"thresholds of the {folds} folds: {', '.join(map(str, result.thresholds))}")


@app.command()
def train(
    gold: GoldOption,
    corpus: Annotated[Path, typer.Option(help="Folder the gold set's articles.txt paths are in.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model folder to write.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a relation model on annotated articles (needs scikit-learn:
    `pip install 'celebgraph[train]'`).

    The decision threshold is chosen on held-out folds to keep precision at 0.80 or
    more. Use the model with `celebgraph ingest --model DIR`.

    Example: `celebgraph train --gold data/annotations --corpus corpus/ -o my-model`
    """
    try:
        with progress_bar(quiet) as on_step:
            model = api.train_model(gold, corpus, output, on_step)
    except OSError as exc:
        raise fail(CelebgraphError(f"{exc.filename}: {exc.strerror}")) from None
    except CelebgraphError as exc:
        raise fail(exc) from None
    size = sum(f.stat().st_size for f in output.iterdir() if f.is_file())
    info = model.info
    typer.echo(
        f"trained on {info['articles']} articles ({info['pairs']} candidate pairs, "
        f"{len(model.vocabulary)} features); threshold {model.threshold}; "
        f"written to {output} ({size / 1e6:.1f} MB)"
    )


annotations_app = typer.Typer(
    help="Check, anchor and compare annotation folders (gold sets).", no_args_is_help=True
)
app.add_typer(annotations_app, name="annotations")
CorpusOption = Annotated[
    Path, typer.Option(help="Folder the gold set's articles.txt paths are in.")
]


@annotations_app.command("check")
def annotations_check(folder: Annotated[Path, typer.Argument()], corpus: CorpusOption) -> None:
    """Every row's offsets inside its article, every name in its article, every person of a
    relation listed in entities.tsv. Prints one line per problem; exit 1 if any.

    Example: `celebgraph annotations check data/annotations --corpus corpus/`
    """
    from celebgraph.annotations import check

    try:
        problems = check(folder, corpus)
    except CelebgraphError as exc:
        raise fail(exc) from None
    for problem in problems:
        typer.echo(f"{folder}/{problem}")
    typer.echo(f"{len(problems)} problems")
    if problems:
        raise typer.Exit(code=1)


@annotations_app.command("anchor")
def annotations_anchor(
    folder: Annotated[Path, typer.Argument(help="Gold folder with an evidence column.")],
    corpus: CorpusOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write.")],
) -> None:
    """Turn each row's evidence text into character offsets in its article, so that the
    gold set can be shared without the articles' text.

    Example: `celebgraph annotations anchor my-gold --corpus corpus/ -o my-gold-offsets`
    """
    from celebgraph.annotations import load_gold, write_gold

    try:
        gold = load_gold(folder, corpus=corpus)
        write_gold(gold, output, corpus)
    except CelebgraphError as exc:
        raise fail(exc) from None
    typer.echo(f"{len(gold.rows)} rows of {len(gold.articles)} articles written to {output}")


@annotations_app.command("agreement")
def annotations_agreement(
    first: Annotated[Path, typer.Argument(help="One annotation folder.")],
    second: Annotated[Path, typer.Argument(help="Another annotation of the same articles.")],
    corpus: CorpusOption,
) -> None:
    """F1 between two annotations of the same articles (the scoring rule), and how often
    they give a matched row the same status.

    Example: `celebgraph annotations agreement gold-a gold-b --corpus corpus/`
    """
    from celebgraph.annotations import agreement, load_gold

    try:
        result = agreement(load_gold(first, corpus=corpus), load_gold(second, corpus=corpus))
    except CelebgraphError as exc:
        raise fail(exc) from None
    typer.echo(
        f"rows {result.first} and {result.second}, matched {result.matched}: "
        f"F1 {result.f1:.3f}; same status {result.same_status} of {result.matched} "
        f"({result.status_agreement:.3f})"
    )
