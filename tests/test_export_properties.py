"""Property-based tests of the exporters: arbitrary text never breaks them; exports parse back.

GraphML is read back with ``networkx.read_graphml(force_multigraph=True)`` and must give the same
nodes, edges and (cleaned) attribute values; JSON must validate against
``schemas/graph_batch.schema.json`` and load back into an equal ``GraphBatch``.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kg.cli import app
from kg.export import graphml_graph, write_graphml, write_json, xml_safe
from kg.graph import sort_batch
from kg.models import (
    RELATION_FOR_TYPE,
    Entity,
    EntityType,
    GraphBatch,
    Paper,
    Relation,
    RelationType,
    entity_id,
)
from kg.store.sqlite import SQLiteStore

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "schemas" / "graph_batch.schema.json").read_text()
)

# Characters that break naive writers: markup, quotes, every C0 control, DEL/C1 controls,
# the non-characters XML forbids, line/paragraph separators, a BOM, astral code points.
NASTY = "<>&\"'\x00\x01\x08\x0b\x0c\x1b\x1f\t\n\r\x7f\x85\u2028\u2029\ufeff\ufffe\uffff\U0001f600"
# Python str cannot hold lone surrogates after a strict UTF-8 decode, and neither can SQLite
# (the store encodes strictly), so the generated text leaves out category Cs.
_any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_nasty_only = st.text(st.sampled_from(sorted(set(NASTY + "a -"))), max_size=8)
# Mixed so that markup and controls appear inside ordinary text, not only on their own.
nasty_text = st.tuples(_any_text, _nasty_only, _any_text).map("".join)
maybe_text = st.none() | nasty_text
words = st.lists(nasty_text, max_size=3).map(tuple)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)

settings.register_profile(
    "kg-export", max_examples=120, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SETTINGS = settings.get_profile("kg-export")


@st.composite
def graph_batches(draw: st.DrawFn, ids: st.SearchStrategy[str] | None = None) -> GraphBatch:
    """A consistent batch (edges between existing nodes) whose every text field is arbitrary."""
    paper_keys = draw(
        st.lists(st.from_regex(r"[a-z0-9][a-z0-9.-]{0,12}", fullmatch=True) if ids is None
                 else ids, min_size=1, max_size=4, unique=True)
    )
    papers = [
        Paper(
            id=f"paper:{key}", title=draw(nasty_text), abstract=draw(nasty_text),
            url=draw(maybe_text), arxiv_id=draw(maybe_text), authors=draw(words),
            published=draw(maybe_text), source=draw(maybe_text), links=draw(words),
        )
        for key in paper_keys
    ]
    entities: dict[str, Entity] = {}
    for type_, name in draw(st.lists(st.tuples(st.sampled_from(EntityType), nasty_text),
                                     max_size=5)):
        eid = entity_id(type_, name) + f"-{len(entities)}"  # slugs of arbitrary text may collide
        entities[eid] = Entity(id=eid, type=type_, name=name, aliases=draw(words))
    relations: dict[tuple[str, str, str], Relation] = {}
    for _ in range(draw(st.integers(0, 10))):
        source = draw(st.sampled_from(papers)).id
        if entities and draw(st.booleans()):
            entity = draw(st.sampled_from(sorted(entities.values(), key=lambda e: e.id)))
            target = entity.id
            type_ = draw(st.sampled_from([RELATION_FOR_TYPE[entity.type], RelationType.PROPOSES]))
        else:
            target = draw(st.sampled_from(papers)).id
            type_ = RelationType.RELATED_TO
        relations[(source, type_.value, target)] = Relation(
            source=source, target=target, type=type_, weight=draw(finite),
            count=draw(st.integers(0, 10**9)), evidence=draw(maybe_text), shared=draw(words),
        )
    return GraphBatch(
        papers=tuple(sorted(papers, key=lambda p: p.id)),
        entities=tuple(sorted(entities.values(), key=lambda e: e.id)),
        relations=tuple(relations[k] for k in sorted(relations)),
    )


def _as_read(value: Any) -> Any:
    """What an XML parser returns for a written value: line ends normalized (XML 1.0 §2.11)."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _graphml_round_trip(batch: GraphBatch) -> tuple[nx.MultiDiGraph, nx.MultiDiGraph]:
    buf = io.BytesIO()
    write_graphml(batch, buf)
    buf.seek(0)
    return graphml_graph(batch), nx.read_graphml(buf, force_multigraph=True)


def _assert_same_graph(expected: nx.MultiDiGraph, got: nx.MultiDiGraph) -> None:
    assert sorted(got.nodes) == sorted(expected.nodes)
    assert sorted(got.edges(keys=True)) == sorted(expected.edges(keys=True))
    for node, attrs in expected.nodes(data=True):
        assert got.nodes[node] == {k: _as_read(v) for k, v in attrs.items()}, node
    for u, v, key, attrs in expected.edges(keys=True, data=True):
        assert got.edges[u, v, key] == {k: _as_read(v) for k, v in attrs.items()}, (u, v, key)


def _written_text(value: Any) -> Any:
    """The cleaned form of a record value: what GraphML should carry for it."""
    if isinstance(value, (list, tuple)):
        return xml_safe(json.dumps(list(value), ensure_ascii=False)) if value else None
    if isinstance(value, str):
        return xml_safe(value) or None
    return value


@SETTINGS
@given(graph_batches())
def test_export_properties_graphml_and_json_round_trip(batch: GraphBatch) -> None:
    """One generated batch checks every exporter (generation dominates the run time)."""
    expected, got = _graphml_round_trip(batch)
    _assert_same_graph(expected, got)
    # Every node and edge of the batch, no more: ids and (source, target, type) survive as-is.
    assert set(got.nodes) == {p.id for p in batch.papers} | {e.id for e in batch.entities}
    assert sorted((u, v, d["type"]) for u, v, d in got.edges(data=True)) == sorted(
        (r.source, r.target, r.type.value) for r in batch.relations
    )
    # The values read back are the record's values with only XML-forbidden characters removed.
    for paper in batch.papers:
        node = got.nodes[paper.id]
        for field in ("title", "abstract", "url", "arxiv_id", "published", "source", "authors",
                      "links"):
            assert node.get(field) == _as_read(_written_text(getattr(paper, field))), field
        assert node["label"] == "Paper"
    for entity in batch.entities:
        node = got.nodes[entity.id]
        assert node.get("name") == _as_read(_written_text(entity.name))
        assert node["type"] == entity.type.value
        assert node["label"] == entity.type.label
    for rel in batch.relations:
        edge = got.edges[rel.source, rel.target, rel.type.value]
        assert edge["weight"] == rel.weight
        assert edge["count"] == rel.count
        assert edge.get("evidence") == _as_read(_written_text(rel.evidence))
        assert edge.get("shared") == _as_read(_written_text(rel.shared))
    _check_well_formed(batch)
    _check_json(batch)
    _check_deterministic(batch)


def _check_well_formed(batch: GraphBatch) -> None:
    buf = io.BytesIO()
    write_graphml(batch, buf)
    text = buf.getvalue().decode("utf-8")  # strict: raises on anything but UTF-8
    assert text.startswith("<?xml")
    assert xml_safe(text) == text  # not one character XML 1.0 forbids


def _check_json(batch: GraphBatch) -> None:
    buf = io.BytesIO()
    write_json(batch, buf)
    raw = buf.getvalue()
    doc = json.loads(raw.decode("utf-8"))
    jsonschema.validate(doc, SCHEMA)
    assert GraphBatch.model_validate_json(raw) == batch
    assert GraphBatch.model_validate(doc) == batch


def _check_deterministic(batch: GraphBatch) -> None:
    copy = GraphBatch.model_validate_json(batch.model_dump_json())
    for writer in (write_graphml, write_json):
        a, b = io.BytesIO(), io.BytesIO()
        writer(batch, a)
        writer(copy, b)
        assert a.getvalue() == b.getvalue(), writer.__name__


# Paper ids come from user records ("paper:<record id>"); any XML-legal id must survive exactly.
xml_legal_ids = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n\r\x7f\x85",
                           exclude_characters="\ufffe\uffff"),
    min_size=1, max_size=20,
)


@settings(SETTINGS, max_examples=60)
@given(graph_batches(ids=xml_legal_ids))
def test_export_properties_graphml_keeps_unusual_ids(batch: GraphBatch) -> None:
    expected, got = _graphml_round_trip(batch)
    _assert_same_graph(expected, got)
    _check_json(batch)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph_batches())
def test_export_properties_store_round_trip(batch: GraphBatch) -> None:
    """Through the SQLite store and back: the exported graph is the written one, and the
    exports streamed from the store are byte for byte the in-memory writers' output."""
    with SQLiteStore(":memory:") as store:
        store.write_batch(batch)
        stored = store.batch()
        streamed = {}
        for writer in (write_graphml, write_json):
            buf = io.BytesIO()
            writer(store, buf)
            streamed[writer] = buf.getvalue()
    assert stored == batch
    expected, got = _graphml_round_trip(stored)
    _assert_same_graph(expected, got)
    # Streamed from the store: the bytes networkx's writer and json.dumps give in memory.
    legacy = io.BytesIO()
    nx.write_graphml_xml(graphml_graph(batch), legacy, encoding="utf-8", prettyprint=True,
                         named_key_ids=False)
    assert streamed[write_graphml] == legacy.getvalue()
    assert streamed[write_json] == (json.dumps(
        sort_batch(batch).model_dump(mode="json"), ensure_ascii=False, sort_keys=True, indent=1
    ) + "\n").encode("utf-8")


HOSTILE_TITLES = [
    'A <b>bold</b> & "quoted" \'title\'',
    "]]> <![CDATA[ x ]]> &amp; &lt; &#0; &#x1;",
    "ctrl \x00\x01\x02\x07\x08\x0b\x0c\x0e\x1b\x1f end",
    "tab\tnew\nline\r\nCR\rdone",
    "non-chars \ufffe\uffff and BOM \ufeff and NEL \x85 and LS \u2028",
    "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;",
    "emoji \U0001f600 CJK 漢字 RTL \u202e\u05d0",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_export_properties_hostile_title_round_trips(tmp_path: Path, title: str) -> None:
    path = tmp_path / "g.graphml"
    batch = GraphBatch(
        papers=(Paper(id="paper:x", title=title, abstract=title),),
        entities=(Entity(id="method:m", type=EntityType.METHOD, name=title, aliases=(title,)),),
        relations=(Relation(source="paper:x", target="method:m", type=RelationType.USES,
                            evidence=title),),
    )
    with SQLiteStore(tmp_path / "kg.db") as store:
        store.write_batch(batch)
        write_graphml(store.batch(), path)
    g = nx.read_graphml(path, force_multigraph=True)
    clean = _as_read(xml_safe(title))
    assert g.nodes["paper:x"]["title"] == clean
    assert g.nodes["paper:x"]["name"] == clean
    assert g.nodes["method:m"]["name"] == clean
    # Lists travel as JSON strings, whose escapes keep even control characters.
    assert json.loads(g.nodes["method:m"]["aliases"]) == json.loads(
        xml_safe(json.dumps([title], ensure_ascii=False))
    )
    assert g.edges["paper:x", "method:m", "USES"]["evidence"] == clean
    # Markup in a title stays text: nothing of it leaks into the document structure.
    assert sorted(g.nodes) == ["method:m", "paper:x"]
    raw = path.read_text(encoding="utf-8")
    assert re.search(r"<data key=\"d\d+\">[^<]*<b>", raw) is None


def _kg(*args: str | Path) -> Any:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_export_properties_rebuild_is_byte_identical_and_matches_stats(
    tmp_path: Path, example_corpus: Path
) -> None:
    """`kg build` twice, or in another process with another hash seed, exports the same bytes;
    the export holds exactly the nodes and edges `kg stats --json` counts."""
    root = Path(__file__).resolve().parent.parent
    db, other = tmp_path / "kg.db", tmp_path / "other.db"
    build = ("build", example_corpus, "--backend", "sqlite", "--quiet", "--json")
    first = json.loads(_kg(*build, "--store", db).stdout)
    _kg("export", "graphml", tmp_path / "1.graphml", "--store", db)
    _kg("export", "json", tmp_path / "1.json", "--store", db)
    again = json.loads(_kg(*build, "--store", db).stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, first["read"])
    _kg("export", "graphml", tmp_path / "2.graphml", "--store", db)
    _kg("export", "json", tmp_path / "2.json", "--store", db)
    assert (tmp_path / "2.graphml").read_bytes() == (tmp_path / "1.graphml").read_bytes()
    assert (tmp_path / "2.json").read_bytes() == (tmp_path / "1.json").read_bytes()

    # A fresh store built by another process (string hashing seeded differently: set and dict
    # orders differ) exports the same bytes.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_"))}
    env.update(PYTHONHASHSEED="0",
               PYTHONPATH=os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "kg.cli", *map(str, build), "--store", other],
                          env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    _kg("export", "graphml", tmp_path / "3.graphml", "--store", other)
    assert (tmp_path / "3.graphml").read_bytes() == (tmp_path / "1.graphml").read_bytes()

    stats = json.loads(_kg("stats", "--store", db, "--json").stdout)["counts"]
    assert stats == first["counts"]
    g = nx.read_graphml(tmp_path / "1.graphml", force_multigraph=True)
    labels = Counter(attrs["label"] for _, attrs in g.nodes(data=True))
    edge_types = Counter(key for _, _, key in g.edges(keys=True))
    from_graphml = {"papers": labels.pop("Paper", 0)}
    from_graphml.update({f"entities.{label.lower()}": n for label, n in labels.items()})
    from_graphml.update({f"edges.{type_}": n for type_, n in edge_types.items()})
    assert from_graphml == stats
    doc = json.loads((tmp_path / "1.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    assert len(doc["papers"]) == stats["papers"] == first["read"]
    assert len(doc["entities"]) == sum(n for k, n in stats.items() if k.startswith("entities."))
    assert len(doc["relations"]) == sum(n for k, n in stats.items() if k.startswith("edges."))
