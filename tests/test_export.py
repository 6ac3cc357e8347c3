"""Exports: valid GraphML that round-trips through networkx, deterministic bytes, clean values."""

from __future__ import annotations

import io
import json

import networkx as nx

from kg.export import write_graphml, write_json, xml_safe
from kg.models import GraphBatch, Paper


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


def test_export_json_deterministic_bytes(tiny_batch) -> None:
    a, b = io.BytesIO(), io.BytesIO()
    write_json(tiny_batch, a)
    write_json(GraphBatch(papers=tiny_batch.papers[::-1], entities=tiny_batch.entities[::-1],
                          relations=tiny_batch.relations[::-1]), b)
    assert a.getvalue() == b.getvalue()
