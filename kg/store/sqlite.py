"""The embedded default store: one SQLite file (standard library), networkx in memory.

Writes happen in one ``BEGIN IMMEDIATE`` transaction, so a crash mid-build leaves the previous
content intact (SQLite's journal rolls the half-written transaction back on the next open) and a
second writer waits for the first (``timeout``) instead of corrupting the file.

Example:
    >>> from kg.models import GraphBatch, Paper
    >>> with SQLiteStore(":memory:") as store:
    ...     _ = store.write_batch(GraphBatch(papers=(Paper(id="paper:x", title="X"),)))
    ...     [p.title for p in store.papers()]
    ['X']
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import networkx as nx

from kg.errors import StoreError
from kg.models import Entity, EntityType, Extraction, GraphBatch, Paper, Relation, RelationType

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS papers (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, abstract TEXT NOT NULL, url TEXT, arxiv_id TEXT,
    authors TEXT NOT NULL DEFAULT '[]', published TEXT, source TEXT,
    links TEXT NOT NULL DEFAULT '[]', content_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS extractions (paper_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL, aliases TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS edges (
    source TEXT NOT NULL, target TEXT NOT NULL, type TEXT NOT NULL,
    weight REAL NOT NULL DEFAULT 1.0, count INTEGER NOT NULL DEFAULT 1, evidence TEXT,
    shared TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (source, type, target));
CREATE INDEX IF NOT EXISTS edges_by_target ON edges(target, type);
"""

_BLOB_CHUNK = 16 * 1024 * 1024

_SECONDARY_INDEXES = {"edges_by_target": "CREATE INDEX IF NOT EXISTS edges_by_target ON edges(target, type)"}

_PAPER_COLUMNS = (
    "id", "title", "abstract", "url", "arxiv_id", "authors", "published", "source", "links",
)


# Paper fields a content hash covers, sorted: the hash is sha1 of json.dumps(fields, sort_keys=True)
_HASHED_FIELDS = tuple(sorted(set(Paper.model_fields) - {"links", "source"}))


def content_hash(paper: Paper) -> str:
    """Hash of everything a paper's extraction depends on (re-extract only when it changes)."""
    # Paper's values are str, None and tuples of str, which json.dumps writes as model_dump's
    # JSON mode would (a test checks it), without model_dump's cost at 100k papers.
    fields = paper.__dict__
    blob = json.dumps({name: fields[name] for name in _HASHED_FIELDS})
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def _json(values: Iterable[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


class SQLiteStore:
    """A graph store in one SQLite file.

    Args:
        path: The database file (created when missing), or ``":memory:"``.
        timeout: Seconds a writer waits for another process's write transaction to finish.

    Raises:
        StoreError: When the file is not a kg store (or not SQLite at all).
    """

    def __init__(self, path: str | Path, timeout: float = 60.0) -> None:
        self.path = str(path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = OFF")
            self.conn.executescript(SCHEMA)
            self._check_version()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
            raise StoreError(
                f"{self.path}: the store is busy ({exc}) — another kg process is writing; retry"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path}: cannot open the store ({exc}) — pass another --store path"
            ) from None

    def _check_version(self) -> None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            with self.transaction():
                self.conn.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                    (SCHEMA_VERSION,),
                )
        elif str(row[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {row[0]} is not {SCHEMA_VERSION} — "
                "rebuild it with a fresh --store path"
            )

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction; rolled back on any exception.

        Raises:
            StoreError: When another process holds the write lock longer than ``timeout``.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"{self.path}: the store is busy ({exc}) — another kg process is writing; retry"
            ) from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @contextmanager
    def bulk_load(self, cache_mb: int = 64) -> Iterator[None]:
        """Rewrite derived tables fast (call inside :meth:`transaction`).

        Secondary indexes are dropped and rebuilt once at the end (one sort instead of a random
        B-tree insert per row), and the page cache is enlarged meanwhile. Both are part of the
        enclosing transaction, so a crash rolls them back with everything else.
        """
        (old_cache,) = self.conn.execute("PRAGMA cache_size").fetchone()
        self.conn.execute(f"PRAGMA cache_size = {-int(cache_mb) * 1024}")
        try:
            for name in _SECONDARY_INDEXES:
                self.conn.execute(f"DROP INDEX IF EXISTS {name}")
            yield
            for ddl in _SECONDARY_INDEXES.values():
                self.conn.execute(ddl)
        finally:
            self.conn.execute(f"PRAGMA cache_size = {int(old_cache)}")

    # -- meta ----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> bytes | str | None:
        """The value stored under ``key`` in the meta table, or None."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: bytes | str | BinaryIO) -> None:
        """Store ``value`` under ``key`` (call inside :meth:`transaction` to make it atomic).

        ``value`` may be a seekable binary file: its whole content is stored as a blob, copied
        chunk by chunk (a large value is never held in memory).
        """
        if isinstance(value, (bytes, str)):
            if not (isinstance(value, bytes) and len(value) > _BLOB_CHUNK
                    and hasattr(self.conn, "blobopen")):
                self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                                  (key, value))
                return
            value = io.BytesIO(value)
        # Binding a large blob makes SQLite copy it twice (a 300 MB related index cost 600 MB of
        # RSS); incremental blob I/O writes it in place, chunk by chunk.
        size = value.seek(0, io.SEEK_END)
        value.seek(0)
        if not hasattr(self.conn, "blobopen"):  # Python < 3.11
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                              (key, value.read()))
            return
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, zeroblob(?))",
                          (key, size))
        (rowid,) = self.conn.execute("SELECT rowid FROM meta WHERE key = ?", (key,)).fetchone()
        with self.conn.blobopen("meta", "value", rowid) as blob:
            while chunk := value.read(_BLOB_CHUNK):
                blob.write(chunk)

    # -- papers and extractions ----------------------------------------------------------------
    def content_hashes(self) -> dict[str, str]:
        """Paper id -> content hash of every stored paper."""
        return dict(self.conn.execute("SELECT id, content_hash FROM papers"))

    def upsert_papers(self, papers: Sequence[Paper], extractions: Sequence[Extraction],
                      hashes: Mapping[str, str] | None = None) -> None:
        """Insert or replace papers and their extractions (call inside :meth:`transaction`).

        ``hashes``: content hashes the caller already computed (paper id -> hash).
        """
        known = hashes or {}
        self.conn.executemany(
            "INSERT OR REPLACE INTO papers(id, title, abstract, url, arxiv_id, authors, published,"
            " source, links, content_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (_paper_row(p) + (known.get(p.id) or content_hash(p),) for p in papers),
        )
        self.upsert_extraction_rows((e.paper_id, e.model_dump_json()) for e in extractions)

    def upsert_extraction_rows(self, rows: Iterable[tuple[str, str]]) -> None:
        """Insert or replace (paper id, Extraction JSON) rows (call inside :meth:`transaction`).

        Rows are consumed as an iterator, so a large build never holds them all in memory.
        """
        self.conn.executemany("INSERT OR REPLACE INTO extractions(paper_id, data) VALUES (?, ?)", rows)

    def papers(self) -> list[Paper]:
        """Every stored paper, ordered by id."""
        rows = self.conn.execute(f"SELECT {', '.join(_PAPER_COLUMNS)} FROM papers ORDER BY id")
        return [_paper_from_row(row) for row in rows]

    def paper(self, paper_id: str) -> Paper | None:
        """One stored paper by id, or None."""
        row = self.conn.execute(
            f"SELECT {', '.join(_PAPER_COLUMNS)} FROM papers WHERE id = ?", (paper_id,)
        ).fetchone()
        return None if row is None else _paper_from_row(row)

    def titles(self, paper_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Paper id -> title, for the given ids (all papers when None)."""
        if paper_ids is None:
            return dict(self.conn.execute("SELECT id, title FROM papers ORDER BY id"))
        out: dict[str, str] = {}
        ids = list(paper_ids)
        for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT id, title FROM papers WHERE id IN ({marks})", chunk))
        return out

    def paper_count(self) -> int:
        """Number of stored papers."""
        return int(self.conn.execute("SELECT count(*) FROM papers").fetchone()[0])

    def extractions(self) -> dict[str, Extraction]:
        """Paper id -> stored extraction."""
        rows = self.conn.execute("SELECT paper_id, data FROM extractions ORDER BY paper_id")
        return {pid: Extraction.model_validate_json(data) for pid, data in rows}

    # -- graph ---------------------------------------------------------------------------------
    def write_batch(self, batch: GraphBatch) -> dict[str, int]:
        """Merge a batch into the store in one transaction (idempotent).

        Args:
            batch: Papers, entities and relations to merge on their ids.

        Returns:
            Counts of rows written per kind.
        """
        with self.transaction():
            self._merge(batch)
        return _counts(batch)

    def replace_graph(self, batch: GraphBatch) -> dict[str, int]:
        """Replace all entities and edges with ``batch``'s; merge its papers (inside a transaction).

        Derived tables are rebuilt as a whole so that re-canonicalization across builds (an
        acronym defined by a later paper) never leaves stale nodes behind.
        """
        self.conn.execute("DELETE FROM edges")
        self.conn.execute("DELETE FROM entities")
        self._merge(batch)
        return _counts(batch)

    def _merge(self, batch: GraphBatch) -> None:
        hashes = self.content_hashes()
        self.conn.executemany(
            "INSERT OR REPLACE INTO papers(id, title, abstract, url, arxiv_id, authors, published,"
            " source, links, content_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [_paper_row(p) + (hashes.get(p.id) or content_hash(p),) for p in batch.papers],
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO entities(id, type, name, aliases) VALUES (?,?,?,?)",
            [(e.id, e.type.value, e.name, _json(e.aliases)) for e in batch.entities],
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO edges(source, target, type, weight, count, evidence, shared)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                (r.source, r.target, r.type.value, r.weight, r.count, r.evidence, _json(r.shared))
                for r in batch.relations
            ],
        )

    def entities(self) -> list[Entity]:
        """Every concept node, ordered by id."""
        rows = self.conn.execute("SELECT id, type, name, aliases FROM entities ORDER BY id")
        return [
            Entity(id=i, type=EntityType(t), name=n, aliases=tuple(json.loads(a)))
            for i, t, n, a in rows
        ]

    def relations(self, type_: RelationType | None = None) -> list[Relation]:
        """Every edge (optionally of one type), ordered by (source, type, target)."""
        sql = "SELECT source, target, type, weight, count, evidence, shared FROM edges"
        args: tuple[Any, ...] = ()
        if type_ is not None:
            sql += " WHERE type = ?"
            args = (type_.value,)
        rows = self.conn.execute(sql + " ORDER BY source, type, target", args)
        return [
            Relation(
                source=s, target=t, type=RelationType(ty), weight=w, count=c, evidence=e,
                shared=tuple(json.loads(sh)),
            )
            for s, t, ty, w, c, e, sh in rows
        ]

    def batch(self) -> GraphBatch:
        """The whole stored graph as one batch (sorted, so exports are deterministic)."""
        return GraphBatch(
            papers=tuple(self.papers()), entities=tuple(self.entities()),
            relations=tuple(self.relations()),
        )

    def to_networkx(self) -> nx.MultiDiGraph:
        """The stored graph in memory (see :func:`kg.graph.to_networkx`)."""
        from kg.graph import to_networkx

        return to_networkx(self.batch())


def _counts(batch: GraphBatch) -> dict[str, int]:
    return {
        "papers": len(batch.papers), "entities": len(batch.entities),
        "relations": len(batch.relations),
    }


def _paper_row(p: Paper) -> tuple[Any, ...]:
    return (
        p.id, p.title, p.abstract, p.url, p.arxiv_id, _json(p.authors), p.published, p.source,
        _json(p.links),
    )


def _paper_from_row(row: Sequence[Any]) -> Paper:
    values = dict(zip(_PAPER_COLUMNS, row))
    values["authors"] = tuple(json.loads(values["authors"]))
    values["links"] = tuple(json.loads(values["links"]))
    return Paper(**values)
