"""Exports: valid GraphML that round-trips through networkx, deterministic bytes, clean values."""

from __future__ import annotations

import io
import json
from typing import Any

import networkx as nx
import pytest

from kg.errors import StoreError
from kg.export import graphml_graph, write_graphml, write_json, xml_safe
from kg.graph import sort_batch
from kg.models import Entity, EntityType, GraphBatch, Paper, Relation, RelationType
from kg.store.sqlite import SQLiteStore


def test_export_graphml_round_trip(tmp_path, tiny_batch) -> None:
    path = tmp_path / "g.graphml"
    write_graphml(tiny_batch, path)
    g = nx.read_graphml(path, force_multigraph=True)
    assert sorted(g.nodes) == sorted([p.id for p in tiny_batch.papers] + [e.id for e in tiny_batch.entities])
    edges = sorted((u, v, d["type"]) for u, v, d in g.edges(data=True))
    assert edges == sorted((r.source, r.target, r.type.value) for r in tiny_batch.relations)
    assert g.nodes["paper:c"]["title"] == 'A <weird> & "title"'
    assert g.nodes["paper:c"]["abstract"] == "Nothing here."  # \x01 removed
    assert json.loads(g.nodes["method:proximal-policy-optimization"]["aliases"]) == ["PPO"]
    assert "url" not in g.nodes["paper:a"]  # None dropped


def test_export_graphml_deterministic_bytes(tiny_batch) -> None:
    a, b = io.BytesIO(), io.BytesIO()
    write_graphml(tiny_batch, a)
    shuffled = GraphBatch(papers=tiny_batch.papers[::-1], entities=tiny_batch.entities[::-1],
                          relations=tiny_batch.relations[::-1])
    write_graphml(shuffled, b)
    assert a.getvalue() == b.getvalue()


def test_export_graphml_no_empty_values(tiny_batch) -> None:
    buf = io.BytesIO()
    write_graphml(tiny_batch, buf)
    assert b"<data key=\"d" in buf.getvalue()
    assert b"></data>" not in buf.getvalue()


def test_export_json(tmp_path, tiny_batch) -> None:
    path = tmp_path / "g.json"
    write_json(tiny_batch, path)
    back = GraphBatch.model_validate_json(path.read_text())
    assert back.papers == tuple(sorted(tiny_batch.papers, key=lambda p: p.id))
    assert set(back.relations) == set(tiny_batch.relations)
    assert back.entities == tiny_batch.entities


def test_export_xml_safe() -> None:
    assert xml_safe("a\x00b\x1fc\ufffed\tok\n") == "abcd\tok\n"


def test_export_path_write_is_atomic(tmp_path, tiny_batch) -> None:
    path = tmp_path / "out.graphml"
    path.write_text("previous")
    bad = GraphBatch(papers=(Paper(id="paper:x", title="x"),))
    write_graphml(bad, path)
    assert path.read_text().startswith("<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["out.graphml"]


def test_export_file_gets_the_permissions_of_a_plain_open(tmp_path, tiny_batch) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        write_graphml(tiny_batch, tmp_path / "out.graphml")
        (tmp_path / "plain").write_text("x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "out.graphml").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o644


def test_export_json_deterministic_bytes(tiny_batch) -> None:
    a, b = io.BytesIO(), io.BytesIO()
    write_json(tiny_batch, a)
    write_json(GraphBatch(papers=tiny_batch.papers[::-1], entities=tiny_batch.entities[::-1],
                          relations=tiny_batch.relations[::-1]), b)
    assert a.getvalue() == b.getvalue()


# -- streaming from the store: same graph, same bytes as the in-memory networkx writer --------
def _legacy_graphml(batch: GraphBatch) -> bytes:
    """What kg wrote before exports streamed: networkx's ElementTree writer on the cleaned graph."""
    buf = io.BytesIO()
    nx.write_graphml_xml(graphml_graph(batch), buf, encoding="utf-8", prettyprint=True,
                         named_key_ids=False)
    return buf.getvalue()


def _legacy_json(batch: GraphBatch) -> bytes:
    doc = sort_batch(batch).model_dump(mode="json")
    return (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def _expected_graphml_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """A to_networkx() attribute dict as GraphML carries it: lists as JSON text, None and empty
    values dropped, XML-forbidden characters removed, line ends as an XML parser reads them."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if isinstance(value, list):
            value = json.dumps(value, ensure_ascii=False) if value else None
        if isinstance(value, str):
            value = xml_safe(value).replace("\r\n", "\n").replace("\r", "\n") or None
        if value is not None:
            out[key] = value
    return out


@pytest.fixture
def hostile_batch(tiny_batch: GraphBatch) -> GraphBatch:
    """tiny_batch plus awkward values: empty and control-only strings, markup, quotes and line
    breaks in ids, every optional field set, an edge to a node that has no record."""
    extra_papers = (
        Paper(id='paper:q"<&>\tx', title="\x02\x03", abstract="", url="https://x.org/?a=1&b=<2>",
              arxiv_id="2409.00588", authors=("Doe, J.", "\x00"), published="2024-01-02",
              source="papers.jsonl:7", links=("https://github.com/o/n",)),
        Paper(id="paper:\u00e9t\u00e9 \U0001f600", title="Caf\u00e9 \ufffe\r\nline",
              abstract="a\u2028b"),
    )
    extra_entities = (
        Entity(id="repo:github:o/n", type=EntityType.REPO, name="o/n", aliases=("\x01",)),
        Entity(id="benchmark:vt", type=EntityType.BENCHMARK, name="\x0b"),
    )
    extra_relations = (
        Relation(source='paper:q"<&>\tx', target="repo:github:o/n", type=RelationType.HAS_CODE,
                 weight=0.25, count=3, evidence="\x1f"),
        Relation(source='paper:q"<&>\tx', target="paper:gone", type=RelationType.RELATED_TO,
                 weight=1e-9, shared=("term:a \"b\"", "term:c\\d", "term:\u00e9;e")),
        Relation(source="paper:\u00e9t\u00e9 \U0001f600", target="benchmark:vt",
                 type=RelationType.EVALUATES_ON, evidence="Score > 3 & <4>."),
    )
    return GraphBatch(papers=tiny_batch.papers + extra_papers,
                      entities=tiny_batch.entities + extra_entities,
                      relations=tiny_batch.relations + extra_relations)


def test_export_graphml_streamed_from_store_reads_back_as_to_networkx(tmp_path, hostile_batch):
    path = tmp_path / "g.graphml"
    with SQLiteStore(tmp_path / "kg.db") as store:
        store.write_batch(hostile_batch)
        counts = write_graphml(store, path)
        expected = store.to_networkx()
    assert counts == {"papers": 5, "entities": 5, "relations": 8}
    got = nx.read_graphml(path, force_multigraph=True)
    assert sorted(got.nodes) == sorted(expected.nodes)  # "paper:gone" too, without attributes
    assert sorted(got.edges(keys=True)) == sorted(expected.edges(keys=True))
    for node, attrs in expected.nodes(data=True):
        assert got.nodes[node] == _expected_graphml_attrs(attrs), node
    for u, v, key, attrs in expected.edges(keys=True, data=True):
        assert got.edges[u, v, key] == _expected_graphml_attrs(attrs), (u, v, key)


def test_export_graphml_streamed_bytes_equal_networkx_writer(tmp_path, hostile_batch) -> None:
    legacy = _legacy_graphml(hostile_batch)
    buf = io.BytesIO()
    write_graphml(hostile_batch, buf)
    assert buf.getvalue() == legacy
    with SQLiteStore(tmp_path / "kg.db") as store:
        store.write_batch(hostile_batch)
        write_graphml(store, tmp_path / "g.graphml")
    assert (tmp_path / "g.graphml").read_bytes() == legacy


@pytest.mark.parametrize("batch", [
    GraphBatch(),
    GraphBatch(papers=(Paper(id="paper:only"),)),
    GraphBatch(relations=(Relation(source="paper:a", target="paper:b",
                                   type=RelationType.RELATED_TO),)),
    # The same id as a paper and as an entity: networkx merges the two attribute sets.
    GraphBatch(papers=(Paper(id="method:x", title="T", url="u"),),
               entities=(Entity(id="method:x", type=EntityType.METHOD, name="N",
                                aliases=("a",)),)),
    # Repeated records: the last one wins in a graph.
    GraphBatch(papers=(Paper(id="paper:a", title="1"), Paper(id="paper:a", abstract="2")),
               relations=(Relation(source="paper:a", target="paper:a", type=RelationType.USES,
                                   count=1),
                          Relation(source="paper:a", target="paper:a", type=RelationType.USES,
                                   count=2, evidence="e"))),
], ids=["empty", "bare-paper", "edge-only", "paper-entity-same-id", "repeated-records"])
def test_export_graphml_edge_cases_equal_networkx_writer(batch: GraphBatch) -> None:
    buf = io.BytesIO()
    write_graphml(batch, buf)
    assert buf.getvalue() == _legacy_graphml(batch)
    buf = io.BytesIO()
    write_json(batch, buf)
    assert buf.getvalue() == _legacy_json(batch)


def test_export_graphml_wrong_key_prediction_is_rewritten(tmp_path, hostile_batch,
                                                          monkeypatch) -> None:
    """The key order is predicted from the first rows; when the prediction is wrong the writer
    notices and writes again, to a path as to a file object."""
    import kg.export

    real = kg.export._predict_keys
    monkeypatch.setattr(kg.export, "_predict_keys", lambda rows: real(rows)[::-1])
    legacy = _legacy_graphml(hostile_batch)
    buf = io.BytesIO(b"kept:")
    buf.seek(0, io.SEEK_END)
    write_graphml(hostile_batch, buf)
    assert buf.getvalue() == b"kept:" + legacy
    with SQLiteStore(tmp_path / "kg.db") as store:
        store.write_batch(hostile_batch)
        write_graphml(store, tmp_path / "g.graphml")
    assert (tmp_path / "g.graphml").read_bytes() == legacy


def test_export_json_streamed_from_store_equals_json_dumps(tmp_path, hostile_batch) -> None:
    with SQLiteStore(tmp_path / "kg.db") as store:
        store.write_batch(hostile_batch)
        counts = write_json(store, tmp_path / "g.json")
    assert counts == {"papers": 5, "entities": 5, "relations": 8}
    assert (tmp_path / "g.json").read_bytes() == _legacy_json(hostile_batch)


def test_export_failure_leaves_previous_file(tmp_path, tiny_batch) -> None:
    path = tmp_path / "out.graphml"
    path.write_text("previous")
    with SQLiteStore(tmp_path / "kg.db") as store:
        store.write_batch(tiny_batch)
        store.conn.execute("UPDATE entities SET type = 'gadget' WHERE id = 'dataset:d4rl'")
        for writer in (write_graphml, write_json):
            with pytest.raises(StoreError, match="kg.db: entity 'dataset:d4rl' has type 'gadget'"):
                writer(store, path)
    assert path.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.db", "out.graphml"]


def test_export_graphml_removes_forbidden_characters_from_ids(tmp_path) -> None:
    """XML 1.0 has no way to write U+000B, even as a reference: the id is written without it
    (networkx's writer would produce a document no parser accepts)."""
    batch = GraphBatch(papers=(Paper(id="paper:a\x0bb", title="t"),),
                       relations=(Relation(source="paper:a\x0bb", target="method:\x00m",
                                           type=RelationType.USES),))
    write_graphml(batch, tmp_path / "g.graphml")
    got = nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True)
    assert sorted(got.nodes) == ["method:m", "paper:ab"]
    assert list(got.edges(keys=True)) == [("paper:ab", "method:m", "USES")]
    assert got.nodes["paper:ab"]["id"] == "paper:ab"


@pytest.mark.parametrize("batch", [
    # found by hypothesis: SQLite stores -0.0 as 0.0, the in-memory writers kept "-0.0"
    GraphBatch(papers=(Paper(id="paper:0"),), relations=(
        Relation(source="paper:0", target="paper:0", type=RelationType.RELATED_TO, weight=-0.0),)),
    # found by hypothesis: the list element ", " spells the separator '", "' of a stored list
    GraphBatch(papers=(Paper(id="paper:1", links=(", ",), authors=("Doe, J.", ", ", "")),)),
], ids=["negative-zero", "comma-element"])
def test_export_streamed_from_store_equals_in_memory_writers(batch: GraphBatch) -> None:
    with SQLiteStore(":memory:") as store:
        store.write_batch(batch)
        graphml, doc = io.BytesIO(), io.BytesIO()
        write_graphml(store, graphml)
        write_json(store, doc)
    legacy = io.BytesIO()
    nx.write_graphml_xml(graphml_graph(batch), legacy, encoding="utf-8", prettyprint=True,
                         named_key_ids=False)
    assert graphml.getvalue() == legacy.getvalue()
    assert doc.getvalue() == (json.dumps(sort_batch(batch).model_dump(mode="json"),
                                         ensure_ascii=False, sort_keys=True, indent=1)
                              + "\n").encode("utf-8")
