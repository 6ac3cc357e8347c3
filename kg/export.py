"""Exporters: GraphML (Gephi, Cytoscape, yEd) and JSON, streamed from the store.

Writers take the graph either as a store (rows are streamed from SQLite in sorted order, so
memory stays flat however large the graph) or as an in-memory :class:`~kg.models.GraphBatch`,
and a path or a binary file object as target, like networkx's ``write_graphml``. A path is
written atomically (temporary file renamed into place). Output is deterministic for the same
graph: nodes and edges are written in sorted order.

GraphML values are cleaned so every reader accepts them: lists are encoded as JSON strings,
``None`` and empty values are dropped, and characters XML 1.0 forbids (control characters, lone
surrogates) are removed. The bytes are exactly those of ``networkx.write_graphml`` (ElementTree
writer, ``prettyprint=True``, ``named_key_ids=False``) applied to :func:`graphml_graph`, which
stays available as the in-memory reference.

Example:
    >>> import io, networkx as nx
    >>> from kg.models import GraphBatch, Paper
    >>> buf = io.BytesIO()
    >>> write_graphml(GraphBatch(papers=(Paper(id="paper:a", title="A <b> & c"),)), buf)
    {'papers': 1, 'entities': 0, 'relations': 0}
    >>> _ = buf.seek(0)
    >>> nx.read_graphml(buf, force_multigraph=True).nodes["paper:a"]["title"]
    'A <b> & c'
"""

from __future__ import annotations

import heapq
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Union

import networkx as nx

from kg.errors import StoreError
from kg.graph import PAPER_LABEL, to_networkx
from kg.models import EntityType, GraphBatch

if TYPE_CHECKING:
    from kg.store.sqlite import SQLiteStore

_XML_FORBIDDEN = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Target = str | Path | IO[bytes]
Source = Union[GraphBatch, "SQLiteStore"]
"""A graph to export: an in-memory batch, or a store (anything with a sqlite3 ``conn``)."""

# Column order of the row tuples every exporter reads (the fields of the records).
PAPER_FIELDS = ("id", "title", "abstract", "url", "arxiv_id", "authors", "published", "source",
                "links")
ENTITY_FIELDS = ("id", "type", "name", "aliases")
RELATION_FIELDS = ("source", "target", "type", "weight", "count", "evidence", "shared")

_FIELDS = {"paper": PAPER_FIELDS, "entity": ENTITY_FIELDS, "edge": RELATION_FIELDS}
_LIST_FIELDS = frozenset({"authors", "links", "aliases", "shared"})
_TEXT_FIELDS = frozenset({"title", "abstract", "url", "arxiv_id", "published", "source", "name",
                          "evidence"})
_LABELS = {t.value: t.label for t in EntityType}
_CHUNK = 2000  # elements formatted per write: large enough to amortize, small enough to stay flat


def xml_safe(text: str) -> str:
    """Remove characters that XML 1.0 does not allow (NUL, most C0 controls, U+FFFE...)."""
    # Printable text holds none of them (controls, surrogates and non-characters are not
    # printable), and the check runs at twice the speed of the substitution.
    return text if text.isprintable() else _XML_FORBIDDEN.sub("", text)


def items(value: Any) -> Sequence[Any]:
    """A list field as a sequence: stores hold JSON text, batches hold tuples."""
    if isinstance(value, str):
        return () if value == "[]" else json.loads(value)
    return value


def label_of(entity_type: str, entity_id: str = "", where: str = "store") -> str:
    """Node label of an entity type value (``method`` -> ``Method``).

    Args:
        entity_type: The stored type value.
        entity_id: The entity, named in the error.
        where: The store, named in the error.

    Raises:
        StoreError: For a type kg does not know (a store written by another version).
    """
    try:
        return _LABELS[entity_type]
    except KeyError:
        raise StoreError(
            f"{where}: entity {entity_id!r} has type {entity_type!r}, which is not one of "
            f"{', '.join(_LABELS)} — rebuild the store with this version of kg"
        ) from None


# -- reading the graph as sorted rows ------------------------------------------------------------
class GraphRows:
    """Sorted plain-tuple rows of a graph, whatever holds it (for the exporters).

    Rows follow :data:`PAPER_FIELDS`, :data:`ENTITY_FIELDS` and :data:`RELATION_FIELDS`; enum
    values are plain strings; list fields are whatever :func:`items` reads. Relations come in
    ``order="graph"`` (source, target, type: networkx's edge order) or ``order="store"``
    (source, type, target: :func:`kg.graph.sort_batch`'s order).
    """

    where = "graph"  # named in error messages

    def label(self, entity_type: str, entity_id: str) -> str:
        """:func:`label_of`, naming this graph in the error."""
        return label_of(entity_type, entity_id, self.where)

    def snapshot(self) -> Any:
        """Context manager under which every read sees the same version of the graph."""
        return _nothing()

    def papers(self) -> Iterator[tuple[Any, ...]]:
        """Paper rows (:data:`PAPER_FIELDS`) by id."""
        raise NotImplementedError

    def entities(self, type_: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Entity rows (:data:`ENTITY_FIELDS`) by id, of one type value or all."""
        raise NotImplementedError

    def relations(self, order: str = "store", type_: str | None = None,
                  unique: bool = False) -> Iterator[tuple[Any, ...]]:
        """Relation rows (:data:`RELATION_FIELDS`) in ``order``, of one type value or all;
        ``unique`` keeps only the last of equal (source, target, type) rows, as a graph does."""
        raise NotImplementedError

    def dangling(self) -> Iterator[str]:
        """Sorted edge endpoints that are neither a paper nor an entity (networkx adds them as
        attribute-less nodes)."""
        raise NotImplementedError

    def first(self, kind: str, field: str,
              convert: Callable[[Any], Any]) -> tuple[Any, Any] | None:
        """The first row of ``kind`` (``paper``, ``entity``, ``edge``, in GraphML order) whose
        ``field`` converts to something other than None: (its sort key, the converted value)."""
        index = _FIELDS[kind].index(field)
        rows = self._candidates(kind, field)
        try:
            for row in rows:
                value = convert(row[index])
                if value is not None:
                    return (row[:3] if kind == "edge" else row[0]), value
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
        return None

    def _candidates(self, kind: str, field: str) -> Iterator[tuple[Any, ...]]:
        # Rows that may hold a value in ``field`` (all rows; a store filters with SQL).
        if kind == "paper":
            return self.papers()
        if kind == "entity":
            return self.entities()
        return self.relations("graph", unique=True)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


class _StoreRows(GraphRows):
    def __init__(self, conn: sqlite3.Connection, where: str = "store") -> None:
        self.conn = conn
        self.where = where

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        # One read transaction: a build committing meanwhile cannot mix two versions in a file.
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def papers(self) -> Iterator[tuple[Any, ...]]:
        return self.conn.execute(f"SELECT {', '.join(PAPER_FIELDS)} FROM papers ORDER BY id")

    def entities(self, type_: str | None = None) -> Iterator[tuple[Any, ...]]:
        sql = f"SELECT {', '.join(ENTITY_FIELDS)} FROM entities"
        if type_ is None:
            return self.conn.execute(sql + " ORDER BY id")
        return self.conn.execute(sql + " WHERE type = ? ORDER BY id", (type_,))

    def relations(self, order: str = "store", type_: str | None = None,
                  unique: bool = False) -> Iterator[tuple[Any, ...]]:
        sql = f"SELECT {', '.join(RELATION_FIELDS)} FROM edges"
        args: tuple[str, ...] = ()
        if type_ is not None:
            sql, args = sql + " WHERE type = ?", (type_,)
        # (source, type, target) is the primary key, so edges are unique already.
        sort = "source, target, type" if order == "graph" else "source, type, target"
        return self.conn.execute(f"{sql} ORDER BY {sort}", args)

    def _candidates(self, kind: str, field: str) -> Iterator[tuple[Any, ...]]:
        table, fields, order = {
            "paper": ("papers", PAPER_FIELDS, "id"), "entity": ("entities", ENTITY_FIELDS, "id"),
            "edge": ("edges", RELATION_FIELDS, "source, target, type"),
        }[kind]
        where = ""
        if field in _LIST_FIELDS:
            where = f" WHERE {field} <> '[]'"
        elif field in _TEXT_FIELDS:
            where = f" WHERE {field} IS NOT NULL AND {field} <> ''"
        return self.conn.execute(
            f"SELECT {', '.join(fields)} FROM {table}{where} ORDER BY {order}")

    def dangling(self) -> Iterator[str]:
        # DISTINCT on each indexed column first: far fewer rows than a UNION of both columns.
        orphans = ("SELECT x FROM (SELECT DISTINCT {} AS x FROM edges)"
                   " WHERE NOT EXISTS (SELECT 1 FROM papers WHERE id = x)"
                   " AND NOT EXISTS (SELECT 1 FROM entities WHERE id = x)")
        rows = self.conn.execute(
            f"{orphans.format('source')} UNION {orphans.format('target')} ORDER BY 1")
        return (x for (x,) in rows)


class _BatchRows(GraphRows):
    def __init__(self, batch: GraphBatch) -> None:
        self.batch = batch
        self._papers = sorted(
            ((p.id, p.title, p.abstract, p.url, p.arxiv_id, p.authors, p.published, p.source,
              p.links) for p in batch.papers), key=itemgetter(0))
        self._entities = sorted(((e.id, e.type.value, e.name, e.aliases) for e in batch.entities),
                                key=itemgetter(0))

    def papers(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._papers)

    def entities(self, type_: str | None = None) -> Iterator[tuple[Any, ...]]:
        return (e for e in self._entities if type_ is None or e[1] == type_)

    def relations(self, order: str = "store", type_: str | None = None,
                  unique: bool = False) -> Iterator[tuple[Any, ...]]:
        rows: Iterable[tuple[Any, ...]] = (
            (r.source, r.target, r.type.value, r.weight, r.count, r.evidence, r.shared)
            for r in self.batch.relations if type_ is None or r.type.value == type_
        )
        if unique:  # a graph keeps the last of equal (source, target, type) edges
            rows = {(r[0], r[1], r[2]): r for r in rows}.values()
        key = itemgetter(0, 1, 2) if order == "graph" else itemgetter(0, 2, 1)
        return iter(sorted(rows, key=key))

    def dangling(self) -> Iterator[str]:
        nodes = {p.id for p in self.batch.papers} | {e.id for e in self.batch.entities}
        ends = {r.source for r in self.batch.relations} | {r.target for r in self.batch.relations}
        return iter(sorted(ends - nodes))


def graph_rows(source: Source) -> GraphRows:
    """The sorted rows of a batch or of a store (streamed with SQL when it has a ``conn``)."""
    if isinstance(source, GraphBatch):
        return _BatchRows(source)
    conn = getattr(source, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        return _StoreRows(conn, str(getattr(source, "path", "store")))
    return _BatchRows(source.batch())  # any other store: only the whole batch is available


# -- atomic targets ------------------------------------------------------------------------------
@contextmanager
def _binary_target(target: Target, seekable: bool = False) -> Iterator[IO[bytes]]:
    """Yield a binary file; for a path, write to a temporary file renamed into place at the end,
    so an interrupted export never leaves a half-written file under the final name.

    With ``seekable``, a file object target gets a temporary file too, copied into it at the end.
    """
    if not isinstance(target, (str, Path)):
        if not seekable:
            yield target
            return
        with tempfile.TemporaryFile() as spool:
            yield spool
            spool.seek(0)
            shutil.copyfileobj(spool, target, 1 << 20)
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file 0600; give the export the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- GraphML -------------------------------------------------------------------------------------
def _graphml_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return xml_safe(json.dumps(list(value), ensure_ascii=False)) if value else None
    if isinstance(value, str):
        return xml_safe(value) or None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return float(value)
    return value


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: _graphml_value(v) for k, v in attrs.items()}
    return {k: v for k, v in cleaned.items() if v is not None}


def graphml_graph(batch: GraphBatch) -> nx.MultiDiGraph:
    """The networkx graph that :func:`write_graphml` writes (attributes cleaned for GraphML).

    Builds everything in memory: the reference for small graphs and tests, not for exports.
    """
    source = to_networkx(batch)
    graph = nx.MultiDiGraph()
    for node, attrs in sorted(source.nodes(data=True), key=lambda n: n[0]):
        graph.add_node(node, **_clean(attrs))
    for u, v, key, attrs in sorted(source.edges(keys=True, data=True), key=lambda e: e[:3]):
        graph.add_edge(u, v, key=key, **_clean(attrs))
    return graph


# A list of strings exactly as json.dumps(..., ensure_ascii=False) writes it when no element
# needs an escape: such stored text is already what networkx would get, no need to re-encode.
PLAIN_JSON_LIST = re.compile(r'\["[^"\\\x00-\x1f]*"(?:, "[^"\\\x00-\x1f]*")*\]')
PLAIN_JSON_ITEM = re.compile(r'"[^"\\\x00-\x1f]*"')


def _list_text(value: Any) -> str | None:
    """A list field as GraphML text (JSON, as networkx gets it from the in-memory graph)."""
    if value == "[]" or not value:
        return None
    if isinstance(value, str):
        if PLAIN_JSON_LIST.fullmatch(value):
            return xml_safe(value)
        value = json.loads(value)
        if not value:
            return None
    if all(type(v) is str for v in value):  # json.dumps' own output, without its set-up cost
        text = "[" + ", ".join(map(encode_basestring, value)) + "]"
    else:
        text = json.dumps(list(value), ensure_ascii=False)
    return xml_safe(text)


def _text(value: Any) -> Any:
    if type(value) is str:
        return xml_safe(value) or None
    return _graphml_value(value)


def _escape_cdata(text: str) -> str:
    # Exactly xml.etree.ElementTree's escaping, so the bytes equal networkx's writer's.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attrib(text: str) -> str:
    text = _escape_cdata(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text


_XML_TYPES = {str: "string", int: "long", float: "double", bool: "boolean"}
_GRAPHML_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)


class _GraphMLBody:
    """Formats nodes and edges with the key ids of ``keys``, recording the order in which keys
    are first used (networkx numbers keys in that order: the ids are right when both agree).

    Elements with the same attribute names and types share one %-template, built on first use.
    """

    def __init__(self, keys: Sequence[tuple[str, str, str]]) -> None:
        self.keys = {key: f"d{i}" for i, key in enumerate(keys)}
        self.used: dict[tuple[str, str, str], None] = {}
        self.templates: dict[tuple[Any, ...], str] = {}

    def _template(self, shape: tuple[Any, ...]) -> str:
        scope, names = shape[0], shape[1:]
        if not names:
            return "    %s />\n"
        lines = ["    %s>\n"]
        for name, type_ in names:
            key = (name, _XML_TYPES.get(type_, "string"), scope)
            self.used.setdefault(key)
            if key not in self.keys:
                self.keys[key] = f"d{len(self.keys)}"
            lines.append(f'      <data key="{self.keys[key]}">%s</data>\n')
        lines.append(f"    </{scope}>\n")
        return "".join(lines)

    def element(self, scope: str, open_tag: str, attrs: Iterable[tuple[str, Any]]) -> str:
        """One ``<node>`` or ``<edge>`` (``open_tag`` without ``>``); ``attrs`` already cleaned,
        ``None`` for a dropped value."""
        present = [(k, v) for k, v in attrs if v is not None]
        shape = (scope, *((k, type(v)) for k, v in present))
        template = self.templates.get(shape)
        if template is None:
            template = self.templates[shape] = self._template(shape)
        return template % (open_tag, *(
            _escape_cdata(v) if type(v) is str else str(v) for _, v in present))

    def edge_template(self, evidence: bool, shared: bool) -> str:
        """The template of an edge with str ids, float weight and int count; its %-arguments:
        the three escaped ids, then every data text."""
        shape: tuple[Any, ...] = ("edge", ("source", str), ("target", str), ("type", str),
                                  ("weight", float), ("count", int))
        shape += (("evidence", str),) * evidence + (("shared", str),) * shared
        return self._template(shape).replace(
            "%s", '<edge source="%s" target="%s" id="%s"', 1)


def _graphml_head(keys: Sequence[tuple[str, str, str]]) -> bytes:
    """The document up to the graph's children: the keys, declared last-first like networkx."""
    lines = [_GRAPHML_HEAD]
    for i in range(len(keys) - 1, -1, -1):
        name, xml_type, scope = keys[i]
        lines.append(f'  <key id="d{i}" for="{scope}" attr.name="{_escape_attrib(name)}"'
                     f' attr.type="{xml_type}" />\n')
    return "".join(lines).encode("utf-8", "xmlcharrefreplace")


_PAPER_ATTRS = (*PAPER_FIELDS, "label", "name")
_ENTITY_ATTRS = (*ENTITY_FIELDS, "label")


def _predict_keys(rows: GraphRows) -> list[tuple[str, str, str]]:
    """The GraphML keys in the order the writer will first use them, from the first row that
    holds each attribute (a few indexed queries on a store, not a pass over the graph).

    Only a guess where a node id is both a paper and an entity; the writer checks it.
    """
    first: dict[tuple[str, str, str], tuple[Any, int]] = {}

    def note(scope: str, name: str, position: int, hit: tuple[Any, Any] | None) -> None:
        if hit is not None:
            key = (name, _XML_TYPES.get(type(hit[1]), "string"), scope)
            if key not in first or (hit[0], position) < first[key]:
                first[key] = (hit[0], position)

    for position, name in enumerate(_PAPER_ATTRS):
        if name == "label":
            hit = rows.first("paper", "id", lambda _: PAPER_LABEL)
        else:
            field = "title" if name == "name" else name
            hit = rows.first("paper", field, _list_text if field in _LIST_FIELDS else _text)
        note("node", name, position, hit)
    for position, name in enumerate(_ENTITY_ATTRS):
        if name == "label":
            hit = rows.first("entity", "type", _LABELS.get)  # unknown types fail when written
        else:
            hit = rows.first("entity", name, _list_text if name in _LIST_FIELDS else _text)
        note("node", name, position, hit)
    for position, name in enumerate(RELATION_FIELDS):
        convert = _list_text if name in _LIST_FIELDS else _text
        note("edge", name, position, rows.first("edge", name, convert))
    nodes = sorted((k for k in first if k[2] == "node"), key=first.__getitem__)
    edges = sorted((k for k in first if k[2] == "edge"), key=first.__getitem__)
    return nodes + edges


def _node_attrs(rows: list[tuple[str, tuple[Any, ...]]], graph: GraphRows) -> dict[str, Any]:
    """The cleaned attributes of one node from its paper and/or entity rows (in add order)."""
    attrs: dict[str, Any] = {}
    for kind, row in rows:
        if kind == "paper":
            pid, title, abstract, url, arxiv_id, authors, published, source, links = row
            clean_title = _text(title)
            attrs.update(id=_text(pid), title=clean_title, abstract=_text(abstract),
                         url=_text(url), arxiv_id=_text(arxiv_id), authors=_list_text(authors),
                         published=_text(published), source=_text(source),
                         links=_list_text(links), label=PAPER_LABEL, name=clean_title)
        elif kind == "entity":
            eid, type_, name, aliases = row
            attrs.update(id=_text(eid), type=_text(type_), name=_text(name),
                         aliases=_list_text(aliases), label=graph.label(type_, eid))
    return attrs


def _nodes(rows: GraphRows, counts: dict[str, int]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(node id, cleaned attributes) in id order, papers, entities and dangling ends merged;
    counts the paper and entity rows."""
    streams = heapq.merge(
        (((r[0], "paper", r)) for r in rows.papers()),
        (((r[0], "entity", r)) for r in rows.entities()),
        (((x, "end", None)) for x in rows.dangling()),
        key=itemgetter(0),
    )
    for node, group in groupby(streams, key=itemgetter(0)):
        members = [(kind, row) for _, kind, row in group]
        for kind, _ in members:
            if kind != "end":
                counts["papers" if kind == "paper" else "entities"] += 1
        yield node, _node_attrs(members, rows)


def _id_texts(value: Any) -> tuple[str, Any, Any]:
    text = _text(value)
    # XML 1.0 cannot carry those characters at all, not even escaped: an id loses them too.
    return (_escape_attrib(xml_safe(str(value))), text,
            _escape_cdata(text) if type(text) is str else None)


def _write_graphml_body(rows: GraphRows, body: _GraphMLBody,
                        out: IO[bytes]) -> tuple[dict[str, int], int]:
    """Write every node and edge; returns the papers, entities, relations and elements written."""
    counts = {"papers": 0, "entities": 0, "relations": 0}
    buf: list[str] = []
    elements = 0

    def flush() -> None:
        nonlocal elements
        elements += len(buf)
        out.write("".join(buf).encode("utf-8", "xmlcharrefreplace"))
        buf.clear()

    for node, attrs in _nodes(rows, counts):
        buf.append(body.element("node", f'<node id="{_escape_attrib(xml_safe(node))}"',
                               attrs.items()))
        if len(buf) >= _CHUNK:
            flush()
    # Ids repeat across edges (a paper's edges are consecutive; concepts recur everywhere):
    # id -> (escaped for an attribute, cleaned text, cleaned text escaped).
    ids: dict[str, tuple[str, Any, Any]] = {}
    fast: dict[tuple[bool, bool], str] = {}
    escape, plain_list = _escape_cdata, PLAIN_JSON_LIST.fullmatch
    for source, target, type_, weight, count, evidence, shared in rows.relations(
            "graph", unique=True):
        s = ids.get(source) or ids.setdefault(source, _id_texts(source))
        t = ids.get(target) or ids.setdefault(target, _id_texts(target))
        y = ids.get(type_) or ids.setdefault(type_, _id_texts(type_))
        if type(evidence) is str:
            if not evidence.isprintable():
                evidence = xml_safe(evidence)
            evidence = evidence or None
        elif evidence is not None:
            evidence = _graphml_value(evidence)
        if shared == "[]":
            shared = None
        elif type(shared) is str and plain_list(shared) and shared.isprintable():
            pass  # already the JSON networkx would write, and XML-safe
        else:
            shared = _list_text(shared)
        if (type(weight) is float and type(count) is int and s[2] is not None
                and t[2] is not None and y[2] is not None
                and (evidence is None or type(evidence) is str)):
            # The common shape: one %-format, ids escaped once.
            shape = (evidence is not None, shared is not None)
            template = fast.get(shape)
            if template is None:
                template = fast[shape] = body.edge_template(*shape)
            if evidence is None:
                if shared is None:
                    text = template % (s[0], t[0], y[0], s[2], t[2], y[2], repr(weight),
                                       repr(count))
                else:
                    text = template % (s[0], t[0], y[0], s[2], t[2], y[2], repr(weight),
                                       repr(count), escape(shared))
            elif shared is None:
                text = template % (s[0], t[0], y[0], s[2], t[2], y[2], repr(weight),
                                   repr(count), escape(evidence))
            else:
                text = template % (s[0], t[0], y[0], s[2], t[2], y[2], repr(weight),
                                   repr(count), escape(evidence), escape(shared))
            buf.append(text)
        else:
            buf.append(body.element(
                "edge", f'<edge source="{s[0]}" target="{t[0]}" id="{y[0]}"',
                (("source", s[1]), ("target", t[1]), ("type", y[1]),
                 ("weight", _graphml_value(weight)), ("count", _graphml_value(count)),
                 ("evidence", evidence), ("shared", shared)),
            ))
        counts["relations"] += 1
        if len(buf) >= _CHUNK:
            flush()
            if len(ids) > 200_000:  # bounded: keep the cache to the recent ids
                ids.clear()
    flush()
    return counts, elements


def write_graphml(source: Source, target: Target) -> dict[str, int]:
    """Write the graph as GraphML, streaming rows (memory does not grow with the graph).

    GraphML declares every key before the graph, numbered in the order networkx first uses
    them; that order is predicted from the first rows holding each attribute, checked while
    writing, and in the rare case it was wrong the file is written once more with the order
    seen (a file object target is spooled through a temporary file for that).

    Args:
        source: A store (e.g. ``SQLiteStore``; read in one snapshot) or a ``GraphBatch``.
        target: A path (written atomically) or a binary file object.

    Returns:
        Papers, entities and relations written.

    Raises:
        StoreError: When the store holds an entity type kg does not know.
    """
    rows = graph_rows(source)
    with rows.snapshot(), _binary_target(target, seekable=True) as fh:
        keys = _predict_keys(rows)
        while True:
            fh.write(_graphml_head(keys))
            start = fh.tell()
            fh.write(b'  <graph edgedefault="directed">\n')
            body = _GraphMLBody(keys)
            counts, elements = _write_graphml_body(rows, body, fh)
            if list(body.used) == keys:
                break
            keys = list(body.used)  # exact now: the values do not depend on the key ids
            fh.seek(0)
            fh.truncate()
        if elements:
            fh.write(b"  </graph>\n</graphml>\n")
        else:
            fh.seek(start)
            fh.truncate()
            fh.write(b'  <graph edgedefault="directed" />\n</graphml>\n')
    return counts


# -- JSON ----------------------------------------------------------------------------------------
def _json_scalar(value: Any) -> str:
    # json.dumps' own encoding of scalars (with allow_nan, as json.dumps defaults to).
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _json_list(value: Any) -> str:
    if value == "[]" or not value:
        return "[]"
    if type(value) is str and PLAIN_JSON_LIST.fullmatch(value):
        # Elements need no escape (so hold no '"'): re-indent the stored text as it is.
        # (split on the quoted elements, not on '", "': the element ", " itself spells that)
        return "[\n    " + ",\n    ".join(PLAIN_JSON_ITEM.findall(value)) + "\n   ]"
    listed = items(value)
    if not listed:
        return "[]"
    return "[\n    " + ",\n    ".join(map(_json_scalar, listed)) + "\n   ]"


# Records as json.dumps(..., sort_keys=True, indent=1) lays them out at depth 2.
_ENTITY_JSON = '{\n   "aliases": %s,\n   "id": %s,\n   "name": %s,\n   "type": %s\n  }'
_PAPER_JSON = ('{\n   "abstract": %s,\n   "arxiv_id": %s,\n   "authors": %s,\n   "id": %s,'
               '\n   "links": %s,\n   "published": %s,\n   "source": %s,\n   "title": %s,'
               '\n   "url": %s\n  }')
_RELATION_JSON = ('{\n   "count": %s,\n   "evidence": %s,\n   "shared": %s,\n   "source": %s,'
                  '\n   "target": %s,\n   "type": %s,\n   "weight": %s\n  }')


def _json_records(rows: GraphRows, section: str) -> Iterator[str]:
    s, li, enc = _json_scalar, _json_list, encode_basestring
    if section == "entities":
        for eid, type_, name, aliases in rows.entities():
            rows.label(type_, eid)  # the schema allows known types only
            yield _ENTITY_JSON % (li(aliases), s(eid), s(name), s(type_))
    elif section == "papers":
        for pid, title, abstract, url, arxiv_id, authors, published, src, links in rows.papers():
            yield _PAPER_JSON % (s(abstract), s(arxiv_id), li(authors), s(pid), li(links),
                                 s(published), s(src), s(title), s(url))
    else:
        for source, target, type_, weight, count, evidence, shared in rows.relations("store"):
            if (type(count) is int and type(weight) is float and weight - weight == 0.0
                    and type(source) is str and type(target) is str and type(type_) is str
                    and (evidence is None or type(evidence) is str)):
                yield _RELATION_JSON % (
                    repr(count), "null" if evidence is None else enc(evidence), li(shared),
                    enc(source), enc(target), enc(type_), repr(weight))
            else:
                yield _RELATION_JSON % (s(count), s(evidence), li(shared), s(source), s(target),
                                        s(type_), s(float(weight)))


def write_json(source: Source, target: Target) -> dict[str, int]:
    """Write the graph as JSON: ``{"entities": [...], "papers": [...], "relations": [...]}``.

    The document validates against ``schemas/graph_batch.schema.json``; its bytes are those of
    ``json.dumps(sort_batch(batch).model_dump(mode="json"), ensure_ascii=False, sort_keys=True,
    indent=1)``, written record by record.

    Args:
        source: A store (read in one snapshot) or a ``GraphBatch``.
        target: A path (written atomically) or a binary file object.

    Returns:
        Papers, entities and relations written.
    """
    rows = graph_rows(source)
    counts = {}
    with rows.snapshot(), _binary_target(target) as fh:
        fh.write(b"{")
        for i, section in enumerate(("entities", "papers", "relations")):
            fh.write(f'{"," if i else ""}\n "{section}": '.encode())
            n = 0
            buf: list[str] = []
            for record in _json_records(rows, section):
                buf.append(record)
                n += 1
                if len(buf) >= _CHUNK:
                    fh.write(("[\n  " if n == len(buf) else ",\n  ").encode()
                             + ",\n  ".join(buf).encode("utf-8"))
                    buf.clear()
            if buf:
                fh.write(("[\n  " if n == len(buf) else ",\n  ").encode()
                         + ",\n  ".join(buf).encode("utf-8"))
            fh.write(b"\n ]" if n else b"[]")
            counts[section] = n
        fh.write(b"\n}\n")
    return {"papers": counts["papers"], "entities": counts["entities"],
            "relations": counts["relations"]}


WRITERS: dict[str, Callable[[Source, Target], dict[str, int]]] = {
    "graphml": write_graphml,
    "json": write_json,
}
"""Export format name -> writer (the CLI's ``kg export FORMAT PATH``)."""
