"""``kg export neo4j-csv DIR``: the CSV layout ``neo4j-admin database import full`` reads.

Bulk import is the fast way to put a large graph into an empty Neo4j database (it writes the store
files directly, with the database stopped). One file per node label and per relationship type:

* ``nodes_<label>.csv``: ``id:ID``, the record's properties, ``:LABEL``;
* ``rels_<type>.csv``: ``:START_ID``, ``:END_ID``, ``:TYPE``, the relation's properties.

Lists are one field with elements separated by ``;`` and a ``string[]`` type suffix
(``aliases:string[]``); a ``;`` inside an element becomes ``,`` (the format has no escape for
it). Numbers carry ``:double`` / ``:long``. Empty fields are not stored (neo4j-admin reads them as
null). Rows are sorted by id, so the same graph gives byte-identical files. Fields may contain
newlines (abstracts), hence ``--multiline-fields=true``.

Import (the database must be stopped; ``import full`` works in the Community edition)::

    neo4j-admin database import full neo4j --overwrite-destination \\
        --multiline-fields=true --array-delimiter=";" \\
        --nodes=import/nodes_paper.csv --nodes=import/nodes_method.csv ... \\
        --relationships=import/rels_proposes.csv ...

With docker/docker-compose.yml (volume ``kg_neo4j-data``)::

    docker compose -f docker/docker-compose.yml stop neo4j
    docker run --rm -v kg_neo4j-data:/data -v "$PWD/DIR":/import neo4j:5-community \\
        neo4j-admin database import full neo4j --overwrite-destination ... (as above, /import/...)
    docker compose -f docker/docker-compose.yml start neo4j
    kg neo4j init        # constraints and full-text indexes: the import does not create them

:func:`import_command` prints the exact command for a written directory.

Rows are streamed from the store in sorted order (:func:`kg.export.graph_rows`), so memory stays
flat however large the graph.

Example:
    >>> import tempfile
    >>> from kg.models import GraphBatch, Paper
    >>> with tempfile.TemporaryDirectory() as d:
    ...     counts = write_neo4j_csv(GraphBatch(papers=(Paper(id="paper:1", title="T"),)), d)
    >>> counts["nodes_paper.csv"]
    1
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kg.errors import StoreError
from kg.export import PLAIN_JSON_LIST, GraphRows, Source, graph_rows, items
from kg.models import EntityType, RelationType

ARRAY_DELIMITER = ";"

_PAPER_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", ""), ("abstract", ""), ("url", ""), ("arxiv_id", ""), ("authors", "string[]"),
    ("published", ""), ("source", ""), ("links", "string[]"),
)
_ENTITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("type", ""), ("name", ""), ("aliases", "string[]"),
)
_RELATION_FIELDS: tuple[tuple[str, str], ...] = (
    ("weight", "double"), ("count", "long"), ("evidence", ""), ("shared", "string[]"),
)


def node_file(label: str) -> str:
    """File name of the nodes of ``label``: ``nodes_paper.csv``."""
    return f"nodes_{label.lower()}.csv"


def relationship_file(type_: RelationType) -> str:
    """File name of the relationships of ``type_``: ``rels_evaluates_on.csv``."""
    return f"rels_{type_.value.lower()}.csv"


def _header(fields: Sequence[tuple[str, str]]) -> list[str]:
    return [f"{name}:{kind}" if kind else name for name, kind in fields]


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "string[]":
        if type(value) is str and PLAIN_JSON_LIST.fullmatch(value):
            # Stored JSON whose elements need no escape: split it as text, no parsing.
            return value[2:-2].replace(ARRAY_DELIMITER, ",").replace('", "', ARRAY_DELIMITER)
        return ARRAY_DELIMITER.join(str(v).replace(ARRAY_DELIMITER, ",") for v in items(value))
    if kind == "double":
        return repr(float(value))
    return str(value)


def _paper_rows(rows: Iterable[tuple[Any, ...]]) -> Iterable[list[str]]:
    kinds = [kind for _, kind in _PAPER_FIELDS]
    for row in rows:
        yield [row[0], *(_cell(v, k) for v, k in zip(row[1:], kinds)), "Paper"]


def _entity_rows(rows: Iterable[tuple[Any, ...]], graph: GraphRows) -> Iterable[list[str]]:
    kinds = [kind for _, kind in _ENTITY_FIELDS]
    for row in rows:
        yield [row[0], *(_cell(v, k) for v, k in zip(row[1:], kinds)), graph.label(row[1], row[0])]


def _relation_rows(rows: Iterable[tuple[Any, ...]]) -> Iterable[list[str]]:
    for source, target, type_, weight, count, evidence, shared in rows:
        yield [source, target, type_, repr(float(weight)), "" if count is None else str(count),
               "" if evidence is None else str(evidence),
               "" if shared == "[]" else _cell(shared, "string[]")]


def _write(path: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_neo4j_csv(source: Source, directory: str | Path) -> dict[str, int]:
    """Write the bulk-import CSV files of a graph into ``directory`` (created if missing).

    Every label and relationship type gets a file, even when empty (header only), so the import
    command is the same for every graph.

    Args:
        source: A store (e.g. ``SQLiteStore(...)``, streamed and read in one snapshot) or a
            ``GraphBatch``.
        directory: Where to write.

    Returns:
        Rows written per file name, in write order.

    Raises:
        StoreError: When the directory cannot be created or written.
    """
    out = Path(directory)
    counts: dict[str, int] = {}
    rows = graph_rows(source)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with rows.snapshot():
            counts[node_file("Paper")] = _write(
                out / node_file("Paper"), ["id:ID", *_header(_PAPER_FIELDS), ":LABEL"],
                _paper_rows(rows.papers()))
            for type_ in EntityType:
                counts[node_file(type_.label)] = _write(
                    out / node_file(type_.label), ["id:ID", *_header(_ENTITY_FIELDS), ":LABEL"],
                    _entity_rows(rows.entities(type_.value), rows))
            for rel in RelationType:
                # Sorted by (source, target) within a type: "store" order is (source, type,
                # target), the same thing once the type is fixed.
                counts[relationship_file(rel)] = _write(
                    out / relationship_file(rel),
                    [":START_ID", ":END_ID", ":TYPE", *_header(_RELATION_FIELDS)],
                    _relation_rows(rows.relations("store", rel.value)))
    except OSError as exc:
        raise StoreError(
            f"{exc.filename or out}: cannot write the Neo4j import files ({exc.strerror}) — "
            "pass a writable directory"
        ) from exc
    return counts


def import_command(directory: str | Path, database: str = "neo4j") -> str:
    """The ``neo4j-admin`` command that imports the files :func:`write_neo4j_csv` wrote.

    Args:
        directory: The directory as the import will see it (e.g. ``/import`` in a container).
        database: The database to (over)write.

    Returns:
        One shell command line.
    """
    base = str(directory).rstrip("/") or "/"
    nodes = [f"--nodes={base}/{node_file(label)}" for label in
             ("Paper", *(t.label for t in EntityType))]
    rels = [f"--relationships={base}/{relationship_file(r)}" for r in RelationType]
    return " ".join([
        "neo4j-admin database import full", database, "--overwrite-destination",
        "--multiline-fields=true", f'--array-delimiter="{ARRAY_DELIMITER}"', *nodes, *rels,
    ])
