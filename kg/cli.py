"""The ``kg`` command line: parse options, call the library, print. No logic lives here.

Errors from the library (:class:`kg.errors.KGError`) become one line on stderr and exit code 1;
usage errors exit 2.

Example:
    >>> from typer.testing import CliRunner
    >>> CliRunner().invoke(app, ["--help"]).exit_code
    0
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg import pipeline
from kg.errors import KGError

app = typer.Typer(
    name="kg",
    help="Turn ML paper abstracts into a knowledge graph of methods, datasets, benchmarks, "
    "tasks and code, and query it.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
export_app = typer.Typer(help="Export the graph (GraphML, JSON, Neo4j bulk-import CSV).",
                         no_args_is_help=True)
neo4j_app = typer.Typer(help="Neo4j: create the schema, load the embedded store.",
                        no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(neo4j_app, name="neo4j")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_STORE = "kg.db"

StoreOpt = Annotated[
    Path,
    typer.Option("--store", envvar="KG_STORE", help="The embedded store file (SQLite).",
                 show_default=True),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f",
                 help="Input format (hf-text, jsonl, json, csv, tsv, atom, bibtex); detected "
                 "from each file when omitted."),
]
SkipOpt = Annotated[
    bool,
    typer.Option("--skip-invalid",
                 help="Keep the valid records of a file that has invalid ones (default: stop "
                 "before writing anything)."),
]
ResourceOpt = Annotated[
    list[Path] | None,
    typer.Option("--resource", "-r",
                 help="Extra resource file of known concepts (JSONL or CSV name,type,aliases); "
                 "repeatable."),
]
WorkersOpt = Annotated[int, typer.Option("--workers", "-w", min=1, help="Extraction processes.")]
BuildWorkersOpt = Annotated[int, typer.Option(
    "--workers", "-w", min=1,
    help="Worker processes: extraction, and the related-paper index and links above 5,000 papers.")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn library errors into one line on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except pipeline.AmbiguousPaper as exc:
            table = Table("id", "title", title=str(exc))
            for paper in exc.candidates:
                table.add_row(paper.id, paper.title)
            err.print(table)
            raise typer.Exit(1) from None
        except KGError as exc:
            raise _fail(_escape(str(exc))) from None
        except sqlite3.OperationalError as exc:
            # A lock held past the timeout outside a write transaction (e.g. another build's
            # commit): say so in one line instead of a traceback.
            raise _fail(_escape(f"the store is busy or unreadable ({exc}) — retry when the "
                                "other kg process has finished")) from None

    return wrapper  # type: ignore[return-value]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[pipeline.Progress]:
    """A ``progress(stage, done, total)`` callback drawing rich bars on stderr (TTY only)."""
    if not enabled or not err.is_terminal:
        yield lambda stage, done, total: None
        return
    bars = Progress(TextColumn("{task.description:<13}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False)
    tasks: dict[str, Any] = {}
    with bars:
        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total or 1)
            bars.update(tasks[stage], completed=done, total=total or 1)

        yield update


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def _open_store(path: Path) -> Any:
    from kg.store.sqlite import SQLiteStore

    return SQLiteStore(path)


def _backend(backend: str | None) -> str:
    if backend:
        if backend not in ("sqlite", "neo4j"):
            raise typer.BadParameter("use sqlite or neo4j", param_hint="--backend")
        return backend
    return "neo4j" if os.environ.get("NEO4J_URI") else "sqlite"


BackendOpt = Annotated[
    str | None,
    typer.Option("--backend", "-b",
                 help="sqlite (embedded default) or neo4j (default when NEO4J_URI is set)."),
]


# ---------------------------------------------------------------------------------------------
@app.command()
@handle_errors
def build(
    inputs: Annotated[list[Path], typer.Argument(help="Paper files (HF text, JSONL, JSON, CSV, "
                                                 "TSV, arXiv Atom, BibTeX).")],
    store: StoreOpt = Path(DEFAULT_STORE),
    fmt: FormatOpt = None,
    skip_invalid: SkipOpt = False,
    resource: ResourceOpt = None,
    workers: BuildWorkersOpt = 1,
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="Related papers linked per paper.")] = 10,
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Build (or extend) the graph from paper files. Re-running on the same input changes nothing."""
    chosen = _backend(backend)
    with _open_store(store) as db, progress_bars(not quiet and not as_json) as progress:
        report = pipeline.build(inputs, db, fmt=fmt, skip_invalid=skip_invalid,
                                resources=tuple(resource or ()), workers=workers, k=k,
                                progress=progress)
        if chosen == "neo4j":
            report.counts["neo4j"] = _neo4j_load(db, progress=progress)
    for line in report.warnings:
        err.print(f"[yellow]warning:[/] {_escape(line)}")
    for line in report.skipped:
        err.print(f"[yellow]skipped:[/] {_escape(line)}")
    if as_json:
        _print_json(report.to_dict())
        return
    out.print(
        f"{store}: read {report.read} papers — {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
    )
    _print_counts(report.counts)


def _print_counts(counts: dict[str, Any]) -> None:
    table = Table("what", "count")
    for key, value in counts.items():
        if isinstance(value, dict):
            for k2, v2 in value.items():
                table.add_row(f"{key}.{k2}", str(v2))
        else:
            table.add_row(key, str(value))
    out.print(table)


@app.command()
@handle_errors
def extract(
    input: Annotated[Path, typer.Argument(help="A paper file.")],
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                 help="Write JSONL here (default: stdout).")] = None,
    fmt: FormatOpt = None,
    skip_invalid: SkipOpt = False,
    resource: ResourceOpt = None,
    workers: WorkersOpt = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Extract canonical concepts per paper as JSON lines (no store involved)."""
    from kg.readers import read_papers

    result = read_papers([input], fmt=fmt, skip_invalid=skip_invalid)
    with progress_bars(not quiet and output is not None) as progress:
        concepts = pipeline.extract_concepts(result.papers, tuple(resource or ()), workers,
                                             progress)
    lines = "".join(
        json.dumps(pc.model_dump(mode="json"), ensure_ascii=False) + "\n" for pc in concepts
    )
    if output is None:
        sys.stdout.write(lines)
    else:
        output.write_text(lines, encoding="utf-8")
        err.print(f"{output}: {len(concepts)} papers")


@app.command(name="eval")
@handle_errors
def eval_(
    input: Annotated[Path, typer.Argument(help="The papers the gold file annotates.")],
    gold: Annotated[Path, typer.Option("--gold", help="Gold annotations (JSONL, the format of "
                                       "seed-dev.jsonl).")],
    show_errors: Annotated[bool, typer.Option("--show-errors", help="List false positives and "
                                              "misses per paper.")] = False,
    fmt: FormatOpt = None,
    resource: ResourceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score extraction against gold annotations: precision, recall, F1 per concept group."""
    from kg.evaluate import evaluate
    from kg.readers import read_papers

    papers = read_papers([input], fmt=fmt).papers
    concepts = pipeline.extract_concepts(papers, tuple(resource or ()))
    report = evaluate(gold, concepts)
    if as_json:
        _print_json(report.to_dict())
        return
    if show_errors:
        for paper in report.errors:
            if paper.is_empty():
                continue
            out.print(f"[bold]{_escape(paper.id)}[/] {_escape(paper.title)}")
            for group, names in sorted(paper.false_positives.items()):
                if names:
                    out.print(f"  false positive {group}: {_escape('; '.join(names))}", highlight=False)
            for group, names in sorted(paper.false_negatives.items()):
                if names:
                    out.print(f"  missed {group}: {_escape('; '.join(names))}", highlight=False)
            for item in paper.proposed_errors:
                out.print(f"  proposed flag wrong: {_escape(item)}", highlight=False)
    table = Table("group", "precision", "recall", "F1", "TP", "FP", "FN", title=str(gold))
    for row in report.table_rows():
        table.add_row(*[str(c) for c in row])
    out.print(table)


@app.command(name="eval-related")
@handle_errors
def eval_related(
    input: Annotated[Path, typer.Argument(help="The corpus the judgments refer to (hf-policy-NNN "
                                          "ids are 0-based positions in it).")],
    judgments: Annotated[Path, typer.Option("--judgments", help="Graded judgments (JSONL: "
                                            "query_id, candidate_id, grade 0/1/2).")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="nDCG cut-off.")] = 10,
    embeddings: Annotated[bool | None, typer.Option(
        "--embeddings/--no-embeddings",
        help="Use sentence embeddings (default: when kg[embed] is installed).")] = None,
    fmt: FormatOpt = None,
    resource: ResourceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score related-paper ranking (nDCG@k, P@5, MRR) for kg and, in the same run, TF-IDF."""
    from kg.readers import read_papers
    from kg.related_eval import evaluate_related

    papers = read_papers([input], fmt=fmt).papers
    concepts, acronyms = pipeline.related_inputs(papers, tuple(resource or ()))
    report = evaluate_related(papers, concepts, judgments, k=k, embeddings=embeddings,
                              abbreviations=acronyms)
    if as_json:
        _print_json(report.to_dict())
        return
    table = Table("ranking", f"nDCG@{k}", "P@5", "MRR", f"unjudged@{k}",
                  title=f"{judgments} — {report.queries} queries, {report.pairs} judged pairs")
    for row in report.table_rows():
        table.add_row(*row)
    out.print(table)
    for note in report.notes:
        out.print(_escape(note), highlight=False)


@app.command()
@handle_errors
def related(
    query: Annotated[str | None, typer.Argument(help="A paper id, title, or title fragment.")] = None,
    text: Annotated[str | None, typer.Option("--text", "-t", help="Rank papers against free text "
                                             "instead of a stored paper.")] = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="How many papers.")] = 10,
    types: Annotated[str | None, typer.Option("--type", help="Only these concept types count, "
                                              "e.g. method,dataset.")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show each component of the score.")]
    = False,
    store: StoreOpt = Path(DEFAULT_STORE),
    as_json: JsonOpt = False,
) -> None:
    """Papers related to a paper (or to --text), with the shared concepts and terms that explain it."""
    if (query is None) == (text is None):
        raise typer.BadParameter("give a QUERY or --text, not both", param_hint="QUERY")
    type_filter = pipeline.parse_types(types)
    with _open_store(store) as db:
        index = pipeline.load_related_index(db)
        if text is not None:
            hits = pipeline.related_to_text(db, index, text, k=k, types=type_filter)
            heading = f'papers related to the text "{text[:60]}"'
            source_id = None
        else:
            paper = pipeline.find_paper(db, query or "")
            hits = index.neighbours(paper.id, k=k, types=type_filter)
            heading = f"papers related to {paper.id} — {paper.title}"
            source_id = paper.id
        titles = db.titles([hit.paper_id for hit in hits])
    rows = [
        {
            "rank": rank, "id": hit.paper_id, "score": round(hit.score, 4),
            "title": titles.get(hit.paper_id, ""),
            "shared_concepts": [c.model_dump(mode="json") for c in hit.shared_concepts],
            "shared_terms": list(hit.shared_terms),
            "components": {c: round(v, 4) for c, v in hit.components.items()},
        }
        for rank, hit in enumerate(hits, 1)
    ]
    if as_json:
        _print_json({"query": source_id or text, "results": rows})
        return
    table = Table("#", "score", "title", "shared concepts", "shared terms", title=heading,
                  show_lines=False)
    if explain:
        table.add_column("components")
    for row in rows:
        concepts_txt = ", ".join(f"{c['name']} ({c['type']})" for c in row["shared_concepts"])
        cells = [str(row["rank"]), f"{row['score']:.3f}", row["title"], concepts_txt,
                 ", ".join(row["shared_terms"])]
        if explain:
            cells.append(" ".join(f"{c}={v:.3f}" for c, v in row["components"].items()))
        table.add_row(*[_escape(c) for c in cells])
    out.print(table)


@app.command()
@handle_errors
def stats(
    store: StoreOpt = Path(DEFAULT_STORE),
    top: Annotated[int, typer.Option("--top", min=0, help="How many most-shared concepts.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Papers, concepts per type, edges per type, and the most shared concepts."""
    with _open_store(store) as db:
        counts = pipeline.graph_counts(db)
        shared = pipeline.top_shared_concepts(db, top)
    if as_json:
        _print_json({"counts": counts, "top_concepts": shared})
        return
    _print_counts(counts)
    table = Table("concept", "type", "papers", title="most shared concepts")
    for row in shared:
        table.add_row(_escape(row["name"]), row["type"], str(row["papers"]))
    out.print(table)


@export_app.command("graphml")
@handle_errors
def export_graphml(
    path: Annotated[Path, typer.Argument(help="Output .graphml file.")],
    store: StoreOpt = Path(DEFAULT_STORE),
) -> None:
    """Write the graph as GraphML (Gephi, Cytoscape, yEd; networkx.read_graphml)."""
    _export("graphml", path, store)


@export_app.command("json")
@handle_errors
def export_json(
    path: Annotated[Path, typer.Argument(help="Output .json file.")],
    store: StoreOpt = Path(DEFAULT_STORE),
) -> None:
    """Write the graph as JSON (schema: schemas/graph_batch.schema.json)."""
    _export("json", path, store)


@export_app.command("neo4j-csv")
@handle_errors
def export_neo4j_csv(
    directory: Annotated[Path, typer.Argument(help="Output directory for the CSV files.")],
    store: StoreOpt = Path(DEFAULT_STORE),
    as_json: JsonOpt = False,
) -> None:
    """Write the CSV files `neo4j-admin database import full` takes (bulk load of millions)."""
    from kg.neo4j_csv import import_command, write_neo4j_csv

    with _open_store(store) as db:
        counts = write_neo4j_csv(db, directory)
    if as_json:
        _print_json({"files": counts, "import_command": import_command(directory)})
        return
    _print_counts(counts)
    out.print("import with:", highlight=False)
    out.print(_escape(import_command(directory)), highlight=False)


def _export(kind: str, path: Path, store: Path) -> None:
    from kg.export import WRITERS

    with _open_store(store) as db:
        counts = WRITERS[kind](db, path)  # streamed from the store, never all in memory
    out.print(f"{path}: {counts['papers']} papers, {counts['entities']} concepts, "
              f"{counts['relations']} edges")


# -- Neo4j and named queries -------------------------------------------------------------------
UriOpt = Annotated[str | None, typer.Option("--uri", envvar="NEO4J_URI", show_envvar=True,
                                            help="Neo4j URI, e.g. neo4j://localhost:7687.")]
UserOpt = Annotated[str | None, typer.Option("--username", envvar="NEO4J_USERNAME",
                                             show_envvar=True, help="Neo4j user.")]
PasswordOpt = Annotated[str | None, typer.Option("--password", envvar="NEO4J_PASSWORD",
                                                 show_envvar=True, help="Neo4j password.")]
DatabaseOpt = Annotated[str | None, typer.Option("--database", envvar="NEO4J_DATABASE",
                                                 show_envvar=True, help="Neo4j database.")]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Rows per UNWIND batch.")]


def _neo4j_load(db: Any, progress: pipeline.Progress, batch_size: int = 1000) -> dict[str, int]:
    from kg.store.neo4j import push_store

    return push_store(db, batch_size=batch_size, progress=progress)


@neo4j_app.command("init")
@handle_errors
def neo4j_init(uri: UriOpt = None, username: UserOpt = None, password: PasswordOpt = None,
               database: DatabaseOpt = None) -> None:
    """Create kg's uniqueness constraints and full-text indexes (idempotent)."""
    from kg.store.neo4j import init_schema

    applied = init_schema(uri, username, password, database)
    out.print(f"applied {applied} schema statements")


@neo4j_app.command("load")
@handle_errors
def neo4j_load(
    store: StoreOpt = Path(DEFAULT_STORE),
    uri: UriOpt = None, username: UserOpt = None, password: PasswordOpt = None,
    database: DatabaseOpt = None, batch_size: BatchOpt = 1000, as_json: JsonOpt = False,
    keep_stale: Annotated[bool, typer.Option(
        "--keep-stale", help="Only merge: keep kg nodes and links the store no longer has.")] = False,
) -> None:
    """Push the embedded store into Neo4j, so that Neo4j mirrors it.

    Nodes and links are merged on ids (re-loading changes nothing); then kg's nodes and links
    that the store no longer holds (papers removed, concepts merged away, re-ranked related
    links) are deleted, unless --keep-stale is given.
    """
    from kg.store.neo4j import push_store

    with _open_store(store) as db, progress_bars(not as_json) as progress:
        counts = push_store(db, uri, username, password, database, batch_size=batch_size,
                            progress=progress, prune=not keep_stale)
    if as_json:
        _print_json(counts)
    else:
        _print_counts(counts)


@app.command()
@handle_errors
def query(
    name: Annotated[str | None, typer.Argument(help="A named query (see --list).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p",
                                                    help="key=value; repeatable.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the named queries.")] = False,
    backend: BackendOpt = None,
    store: StoreOpt = Path(DEFAULT_STORE),
    uri: UriOpt = None, username: UserOpt = None, password: PasswordOpt = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a named query (queries/*.cypher) on the active backend, or list them."""
    from kg.queries import list_queries, run_query

    if list_ or name is None:
        if as_json:
            _print_json([{"name": q.name, "signature": q.signature(),
                          "description": q.description, "columns": list(q.columns)}
                         for q in list_queries()])
            return
        table = Table("query", "description", "columns")
        for q in list_queries():
            table.add_row(q.signature(), q.description, ", ".join(q.columns))
        out.print(table)
        return
    params = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f'"{item}" is not key=value', param_hint="--param")
        params[key.strip()] = value
    if _backend(backend) == "neo4j":
        from kg.store.neo4j import Neo4jStore

        with Neo4jStore.connect(uri, username, password, database) as neo:
            result = run_query(name, params, neo)
    else:
        with _open_store(store) as db:
            result = run_query(name, params, db)
    if as_json:
        _print_json(result.to_dicts())
        return
    table = Table(*result.columns, title=name)
    for row in result.rows:
        table.add_row(*[_escape(_cell(v)) for v in row])
    out.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def main() -> None:
    """Entry point of the ``kg`` script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
