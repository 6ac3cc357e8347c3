"""``kg export neo4j-csv``: the neo4j-admin bulk-import layout, read back the way neo4j-admin
reads it (header types, ``;`` arrays, empty field = no property)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from kg.errors import StoreError
from kg.models import Entity, EntityType, GraphBatch, Paper, Relation, RelationType
from kg.neo4j_csv import import_command, write_neo4j_csv


def batch() -> GraphBatch:
    return GraphBatch(
        papers=(
            Paper(id="paper:b", title='Quotes "inside", commas', abstract="Line one.\nLine two.",
                  authors=("Doe, J.", "Roe; R."), published="2024", links=("https://x.org",)),
            Paper(id="paper:a", title="A", abstract="PPO.", url="https://arxiv.org/abs/1"),
        ),
        entities=(
            Entity(id="method:ppo", type=EntityType.METHOD, name="PPO",
                   aliases=("Proximal Policy Optimization", "PPO-clip")),
            Entity(id="repo:github:o/n", type=EntityType.REPO, name="o/n"),
        ),
        relations=(
            Relation(source="paper:a", target="method:ppo", type=RelationType.PROPOSES, count=3,
                     evidence="We propose PPO."),
            Relation(source="paper:b", target="paper:a", type=RelationType.RELATED_TO,
                     weight=0.25, shared=("method:ppo", "term:policy")),
        ),
    )


def _read(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Parse a file as neo4j-admin does: typed header fields, arrays split on ';'."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, out = rows[0], []
    for row in rows[1:]:
        record: dict[str, Any] = {}
        for field, cell in zip(header, row, strict=True):
            name, _, kind = field.partition(":")
            if cell == "":
                continue
            record[name or kind] = (cell.split(";") if kind == "string[]" else float(cell)
                                    if kind == "double" else int(cell) if kind == "long" else cell)
        out.append(record)
    return header, out


def test_neo4j_csv_writes_every_label_and_type(tmp_path: Path) -> None:
    counts = write_neo4j_csv(batch(), tmp_path / "import")
    assert counts == {
        "nodes_paper.csv": 2, "nodes_method.csv": 1, "nodes_dataset.csv": 0,
        "nodes_benchmark.csv": 0, "nodes_task.csv": 0, "nodes_repo.csv": 1,
        "rels_proposes.csv": 1, "rels_uses.csv": 0, "rels_evaluates_on.csv": 0,
        "rels_addresses.csv": 0, "rels_has_code.csv": 0, "rels_related_to.csv": 1,
    }
    assert sorted(p.name for p in (tmp_path / "import").iterdir()) == sorted(counts)


def test_neo4j_csv_headers_and_values_read_back(tmp_path: Path) -> None:
    write_neo4j_csv(batch(), tmp_path)
    header, papers = _read(tmp_path / "nodes_paper.csv")
    assert header == ["id:ID", "title", "abstract", "url", "arxiv_id", "authors:string[]",
                      "published", "source", "links:string[]", ":LABEL"]
    # Sorted by id; empty fields (None, empty lists) are absent; ';' inside an element -> ','.
    assert papers == [
        {"id": "paper:a", "title": "A", "abstract": "PPO.", "url": "https://arxiv.org/abs/1",
         "LABEL": "Paper"},
        {"id": "paper:b", "title": 'Quotes "inside", commas', "abstract": "Line one.\nLine two.",
         "authors": ["Doe, J.", "Roe, R."], "published": "2024", "links": ["https://x.org"],
         "LABEL": "Paper"},
    ]
    header, methods = _read(tmp_path / "nodes_method.csv")
    assert header == ["id:ID", "type", "name", "aliases:string[]", ":LABEL"]
    assert methods == [{"id": "method:ppo", "type": "method", "name": "PPO",
                        "aliases": ["Proximal Policy Optimization", "PPO-clip"],
                        "LABEL": "Method"}]
    header, related = _read(tmp_path / "rels_related_to.csv")
    assert header == [":START_ID", ":END_ID", ":TYPE", "weight:double", "count:long", "evidence",
                      "shared:string[]"]
    assert related == [{"START_ID": "paper:b", "END_ID": "paper:a", "TYPE": "RELATED_TO",
                        "weight": 0.25, "count": 1, "shared": ["method:ppo", "term:policy"]}]
    _, proposes = _read(tmp_path / "rels_proposes.csv")
    assert proposes == [{"START_ID": "paper:a", "END_ID": "method:ppo", "TYPE": "PROPOSES",
                         "weight": 1.0, "count": 3, "evidence": "We propose PPO."}]


def test_neo4j_csv_is_deterministic(tmp_path: Path) -> None:
    write_neo4j_csv(batch(), tmp_path / "one")
    reordered = GraphBatch(papers=batch().papers[::-1], entities=batch().entities[::-1],
                           relations=batch().relations[::-1])
    write_neo4j_csv(reordered, tmp_path / "two")
    for path in (tmp_path / "one").iterdir():
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes()


def test_neo4j_csv_import_command_names_every_file(tmp_path: Path) -> None:
    counts = write_neo4j_csv(batch(), tmp_path)
    command = import_command("/import/")
    assert command.startswith("neo4j-admin database import full neo4j --overwrite-destination "
                              '--multiline-fields=true --array-delimiter=";" ')
    for name in counts:
        flag = "--nodes" if name.startswith("nodes_") else "--relationships"
        assert f"{flag}=/import/{name}" in command.split()


def test_neo4j_csv_unwritable_directory_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot write the Neo4j import files"):
        write_neo4j_csv(batch(), blocker)


def test_neo4j_csv_streamed_from_store_equals_batch(tmp_path: Path) -> None:
    from kg.store.sqlite import SQLiteStore

    from_batch = write_neo4j_csv(batch(), tmp_path / "batch")
    with SQLiteStore(tmp_path / "kg.db") as store:
        store.write_batch(batch())
        from_store = write_neo4j_csv(store, tmp_path / "store")
    assert from_store == from_batch
    for path in (tmp_path / "batch").iterdir():
        assert (tmp_path / "store" / path.name).read_bytes() == path.read_bytes(), path.name
