"""Named queries: one parameterized Cypher statement per ``queries/<name>.cypher``, each with an
embedded implementation (SQL on the SQLite schema, networkx for paths) returning the same columns
in the same order.

Every ``.cypher`` file starts with a header::

    // name: related_papers
    // description: Papers related to a paper, best first ...
    // params: paper_id: str, limit: int = 10
    // columns: id, title, score, shared_concepts, shared_terms

``params`` declares each parameter's type (``str``, ``int``, ``float``, ``bool``) and default
(a JSON literal; ``null`` makes it optional); a parameter without a default is required.
:func:`run_query` types the given values from the header (so ``kg query NAME -p limit=5`` works
with strings), applies defaults, and runs the statement on Neo4j or the embedded function on
SQLite. Ordering ties are always broken by ids, so both backends return the same rows in the
same order; the only exception is the ``score`` of the full-text searches (Lucene on Neo4j, a
BM25 over title + abstract embedded), whose values differ between backends.

Example:
    >>> from kg.queries import get_query, list_queries
    >>> "related_papers" in [q.name for q in list_queries()]
    True
    >>> get_query("top_concepts").columns
    ('concept_id', 'type', 'name', 'papers')
    >>> from kg.store.sqlite import SQLiteStore
    >>> with SQLiteStore(":memory:") as store:
    ...     run_query("top_concepts", {"limit": "3"}, store).rows
    []
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kg.errors import QueryError
from kg.models import EntityType, RelationType

_SOURCE_QUERIES = Path(__file__).resolve().parent.parent / "queries"
QUERIES_DIR = (_SOURCE_QUERIES if _SOURCE_QUERIES.is_dir()
               else Path(__file__).resolve().parent / "queries_files")
"""``queries/`` of the source tree, or its copy inside an installed wheel."""
"""Where the ``.cypher`` files live (``queries/`` at the repository root)."""

PATH_MAX_LENGTH = 10
"""The longest path ``path_between_papers`` looks for (fixed in its Cypher: ``*..10``)."""

_CONCEPT_TYPES = tuple(r.value for r in RelationType if r is not RelationType.RELATED_TO)
_IN_CONCEPT = "(" + ", ".join(f"'{t}'" for t in _CONCEPT_TYPES) + ")"
_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}
_PARAM = re.compile(
    r"\s*(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<type>str|int|float|bool)"
    r"(?:\s*=\s*(?P<default>\"(?:[^\"\\]|\\.)*\"|[^,\s]+))?\s*(?:,|$)"
)
_CHOICES: dict[str, tuple[str, ...]] = {"type": tuple(t.value for t in EntityType)}
"""Allowed values of parameters by name (a misspelt type would silently match nothing)."""
_HEADER = re.compile(r"^//\s*(name|description|params|columns):\s?(.*)$")
_YEAR = re.compile(r"[0-9]{4}")
_LINE_BREAK = re.compile("[\n\r\u0085\u2028\u2029]")  # what Java's regex '.' never matches


@dataclass(frozen=True)
class QueryParam:
    """One declared parameter of a named query."""

    name: str
    type: str
    default: Any = None
    required: bool = True

    def coerce(self, value: Any, query: str) -> Any:
        """The value as this parameter's type (strings from the command line are parsed).

        Raises:
            QueryError: When the value does not fit the type.
        """
        if value is None:
            if self.required:
                raise QueryError(f"query {query}: parameter {self.name} must not be null")
            return None
        kind = _TYPES[self.type]
        if isinstance(value, str) and kind is not str:
            text = value.strip()
            try:
                if kind is bool:
                    if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                        raise ValueError(text)
                    return text.lower() in ("true", "1", "yes")
                return kind(text)
            except ValueError:
                raise QueryError(
                    f"query {query}: parameter {self.name} must be {self.type} (got {value!r})"
                ) from None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise QueryError(
                f"query {query}: parameter {self.name} must be {self.type} "
                f"(got {type(value).__name__} {value!r})"
            )
        return value


@dataclass(frozen=True)
class NamedQuery:
    """A query of the registry: its header and its Cypher text."""

    name: str
    description: str
    params: tuple[QueryParam, ...]
    columns: tuple[str, ...]
    cypher: str
    path: Path

    def bind(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Typed parameter values with defaults applied.

        Args:
            given: Parameter values (strings are parsed by the declared type).

        Returns:
            A value for every declared parameter.

        Raises:
            QueryError: On an unknown or missing parameter, or a value of the wrong type.
        """
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            names = ", ".join(declared) or "none"
            raise QueryError(
                f"query {self.name}: unknown parameter {unknown[0]} — its parameters: {names}"
            )
        bound: dict[str, Any] = {}
        for param in self.params:
            if param.name in given:
                bound[param.name] = param.coerce(given[param.name], self.name)
            elif param.required:
                raise QueryError(
                    f"query {self.name}: parameter {param.name} ({param.type}) is required — "
                    f"pass -p {param.name}=VALUE"
                )
            else:
                bound[param.name] = param.default
            value = bound[param.name]
            if param.type == "int" and value is not None and value < 0:
                raise QueryError(f"query {self.name}: parameter {param.name} must be >= 0")
            choices = _CHOICES.get(param.name)
            if choices and value is not None and value not in choices:
                raise QueryError(
                    f"query {self.name}: parameter {param.name} must be one of "
                    f"{', '.join(choices)} (got {value!r})"
                )
        return bound

    def signature(self) -> str:
        """``name(paper_id: str, limit: int = 10)`` for listings."""
        parts = []
        for p in self.params:
            default = "" if p.required else f" = {json.dumps(p.default)}"
            parts.append(f"{p.name}: {p.type}{default}")
        return f"{self.name}({', '.join(parts)})"


@dataclass(frozen=True)
class QueryResult:
    """Rows of a named query, as lists in ``columns`` order."""

    name: str
    columns: tuple[str, ...]
    rows: list[list[Any]]

    def to_dicts(self) -> list[dict[str, Any]]:
        """Rows as ``{column: value}`` dicts (for ``--json``)."""
        return [dict(zip(self.columns, row)) for row in self.rows]


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.cypher`` file and its header.

    Args:
        path: The file.

    Returns:
        The named query.

    Raises:
        QueryError: When the header is missing a field or malformed (the message names file:line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"{path}: cannot read the query ({exc.strerror})") from exc
    header: dict[str, tuple[int, str]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        match = _HEADER.match(line.strip())
        if match:
            header[match.group(1)] = (lineno, match.group(2).strip())
    for key in ("name", "description", "params", "columns"):
        if key not in header:
            raise QueryError(f"{path}:1: header line '// {key}:' is missing")
    name = header["name"][1]
    if name != path.stem:
        raise QueryError(f"{path}:{header['name'][0]}: name {name!r} must equal the file name")
    lineno, spec = header["params"]
    params: list[QueryParam] = []
    pos = 0
    while pos < len(spec):
        match = _PARAM.match(spec, pos)
        if not match or match.end() == pos:
            raise QueryError(
                f"{path}:{lineno}: cannot parse params at {spec[pos:]!r} — write "
                "'name: type' or 'name: type = default' (types str, int, float, bool)"
            )
        default = match.group("default")
        if default is None:
            params.append(QueryParam(match.group("name"), match.group("type")))
        else:
            try:
                value = json.loads(default)
            except json.JSONDecodeError:
                raise QueryError(
                    f"{path}:{lineno}: default {default!r} is not a JSON literal"
                ) from None
            probe = QueryParam(match.group("name"), match.group("type"), None, required=False)
            params.append(QueryParam(probe.name, probe.type, probe.coerce(value, name), False))
        pos = match.end()
    columns = tuple(c.strip() for c in header["columns"][1].split(",") if c.strip())
    cypher = "\n".join(line for line in text.splitlines() if not _HEADER.match(line.strip()))
    return NamedQuery(name, header["description"][1], tuple(params), columns, cypher.strip(), path)


@lru_cache(maxsize=4)
def load_queries(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """Every named query of ``directory``, by name (sorted).

    Raises:
        QueryError: When a file's header is malformed.
    """
    return {q.name: q for q in map(parse_query_file, sorted(directory.glob("*.cypher")))}


def list_queries() -> list[NamedQuery]:
    """The registry, sorted by name (``kg query --list``)."""
    return list(load_queries().values())


def get_query(name: str) -> NamedQuery:
    """The named query ``name``.

    Raises:
        QueryError: When there is no such query.
    """
    queries = load_queries()
    if name not in queries:
        raise QueryError(f"unknown query {name!r} — `kg query --list` shows the {len(queries)} "
                         "available queries")
    return queries[name]


def run_query(name: str, params: Mapping[str, Any], store: Any) -> QueryResult:
    """Run a named query on the active backend.

    Args:
        name: The query name (see :func:`list_queries`).
        params: Parameter values; strings are typed from the header, defaults applied.
        store: A :class:`kg.store.neo4j.Neo4jStore` (runs the Cypher), or a
            :class:`kg.store.sqlite.SQLiteStore` / ``sqlite3.Connection`` (runs the embedded
            implementation).

    Returns:
        The rows, in the columns of the query's header.

    Raises:
        QueryError: Unknown query or parameter, wrong value, or the server rejects the query.
        StoreError: When the Neo4j server cannot be reached.
    """
    query = get_query(name)
    bound = query.bind(params)
    if hasattr(store, "run_cypher"):
        columns, rows = store.run_cypher(query.cypher, bound)
        if tuple(columns) != query.columns:
            raise QueryError(f"{query.path}: returns columns {columns}, header says "
                             f"{list(query.columns)} — fix the header or the RETURN clause")
        return QueryResult(name, query.columns, [list(r) for r in rows])
    conn = store if isinstance(store, sqlite3.Connection) else getattr(store, "conn", None)
    if not isinstance(conn, sqlite3.Connection):
        raise QueryError(f"query {name}: {type(store).__name__} is not a kg store")
    rows = EMBEDDED[name](conn, bound)
    return QueryResult(name, query.columns, [list(r) for r in rows])


# -- embedded implementations --------------------------------------------------------------
Embedded = Callable[[sqlite3.Connection, dict[str, Any]], list[list[Any]]]


def _related_papers(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    rows = conn.execute(
        "SELECT q.id, q.title, e.weight, e.shared FROM edges e JOIN papers q ON q.id = e.target"
        " JOIN papers s ON s.id = e.source"
        " WHERE e.source = ? AND e.type = 'RELATED_TO' ORDER BY e.weight DESC, q.id LIMIT ?",
        (p["paper_id"], p["limit"]),
    )
    out = []
    for pid, title, weight, shared in rows:
        items = json.loads(shared)
        concepts = [s for s in items if not s.startswith("term:")]
        terms = [s[len("term:"):] for s in items if s.startswith("term:")]
        out.append([pid, title, weight, concepts, terms])
    return out


def _papers_by_concept(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    needle = p["concept"]
    low = needle.lower()
    ids = [
        eid for eid, name, aliases in conn.execute("SELECT id, name, aliases FROM entities")
        if eid == needle or name.lower() == low
        or any(a.lower() == low for a in json.loads(aliases))
    ]
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT c.id, c.name, e.type, q.id, q.title, q.published FROM edges e"
        f" JOIN entities c ON c.id = e.target JOIN papers q ON q.id = e.source"
        f" WHERE e.target IN ({marks}) AND e.type IN {_IN_CONCEPT}"
        f" ORDER BY q.id, c.id, e.type LIMIT ?",
        (*ids, p["limit"]),
    )
    return [list(r) for r in rows]


def _concepts_of_paper(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    rows = conn.execute(
        f"SELECT e.type, c.id, c.type, c.name, e.count FROM edges e"
        f" JOIN entities c ON c.id = e.target JOIN papers q ON q.id = e.source"
        f" WHERE e.source = ? AND e.type IN {_IN_CONCEPT} AND (? IS NULL OR c.type = ?)"
        f" ORDER BY e.type, c.id",
        (p["paper_id"], p["type"], p["type"]),
    )
    return [list(r) for r in rows]


def _top_concepts(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    rows = conn.execute(
        f"SELECT c.id, c.type, c.name, COUNT(DISTINCT q.id) AS papers FROM edges e"
        f" JOIN entities c ON c.id = e.target JOIN papers q ON q.id = e.source"
        f" WHERE e.type IN {_IN_CONCEPT} AND (? IS NULL OR c.type = ?)"
        f" GROUP BY c.id ORDER BY papers DESC, c.id LIMIT ?",
        (p["type"], p["type"], p["limit"]),
    )
    return [list(r) for r in rows]


def _cooccurring_concepts(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    rows = conn.execute(
        f"SELECT o.id, o.type, o.name, COUNT(DISTINCT q.id) AS papers"
        f" FROM entities c JOIN edges e1 ON e1.target = c.id AND e1.type IN {_IN_CONCEPT}"
        f" JOIN papers q ON q.id = e1.source"
        f" JOIN edges e2 ON e2.source = q.id AND e2.type IN {_IN_CONCEPT}"
        f" JOIN entities o ON o.id = e2.target"
        f" WHERE c.id = ? AND o.id <> c.id AND (? IS NULL OR o.type = ?)"
        f" GROUP BY o.id ORDER BY papers DESC, o.id LIMIT ?",
        (p["concept_id"], p["type"], p["type"], p["limit"]),
    )
    return [list(r) for r in rows]


def _papers_with_code(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    rows = conn.execute(
        f"SELECT q.id, q.title, r.id FROM edges e JOIN papers q ON q.id = e.source"
        f" JOIN entities r ON r.id = e.target AND r.type = 'repo'"
        f" WHERE e.type = 'HAS_CODE' AND (? IS NULL OR EXISTS ("
        f"   SELECT 1 FROM edges x JOIN entities xc ON xc.id = x.target"
        f"   WHERE x.source = q.id AND x.target = ? AND x.type IN {_IN_CONCEPT}))"
        f" ORDER BY q.id, r.id",
        (p["concept_id"], p["concept_id"]),
    )
    papers: dict[str, list[Any]] = {}
    for pid, title, repo in rows:
        entry = papers.setdefault(pid, [pid, title, []])
        if repo not in entry[2]:
            entry[2].append(repo)
    return list(papers.values())[: p["limit"]]


def _path_between_papers(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    import networkx as nx

    source, target = p["source"], p["target"]
    if source == target:
        return []
    names: dict[str, str] = dict(conn.execute("SELECT id, title FROM papers"))
    if source not in names or target not in names:
        return []
    names.update(conn.execute("SELECT id, name FROM entities"))
    graph = nx.Graph()
    graph.add_edges_from(
        (s, t) for s, t in conn.execute(
            f"SELECT source, target FROM edges WHERE type IN {_IN_CONCEPT}"
        ) if s in names and t in names
    )
    try:
        paths = sorted(nx.all_shortest_paths(graph, source, target))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []
    paths = [path for path in paths if len(path) - 1 <= PATH_MAX_LENGTH]
    return [[len(path) - 1, path, [names[n] for n in path]] for path in paths[: p["limit"]]]


def _method_benchmark_matrix(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    rows = conn.execute(
        "SELECT m.id, m.name, t.id, t.type, t.name, COUNT(DISTINCT q.id) AS papers"
        " FROM edges um JOIN entities m ON m.id = um.target AND m.type = 'method'"
        " JOIN papers q ON q.id = um.source"
        " JOIN edges et ON et.source = q.id AND et.type = 'EVALUATES_ON'"
        " JOIN entities t ON t.id = et.target AND t.type IN ('dataset', 'benchmark')"
        " WHERE um.type IN ('PROPOSES', 'USES')"
        " GROUP BY m.id, t.id HAVING papers >= ? ORDER BY papers DESC, m.id, t.id LIMIT ?",
        (p["min_papers"], p["limit"]),
    )
    return [list(r) for r in rows]


_WORD = re.compile(r"\w+")


def _bm25(docs: Sequence[tuple[str, str]], query: str) -> list[tuple[str, float]]:
    """(id, score) of documents sharing a word with ``query``: Okapi BM25 (k1 = 1.2, b = 0.75)."""
    terms = set(_WORD.findall(query.lower()))
    if not terms or not docs:
        return []
    tokenized = [(doc_id, Counter(_WORD.findall(text.lower()))) for doc_id, text in docs]
    lengths = [sum(c.values()) for _, c in tokenized]
    avg = sum(lengths) / len(lengths) or 1.0
    df = Counter(t for _, c in tokenized for t in terms if t in c)
    n = len(tokenized)
    scored = []
    for (doc_id, counts), length in zip(tokenized, lengths):
        score = 0.0
        for term in terms:
            tf = counts.get(term, 0)
            if tf:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))
        if score > 0:
            scored.append((doc_id, round(score, 6)))
    return scored


def _search_papers(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    titles: dict[str, str] = {}
    docs = []
    for pid, title, abstract in conn.execute("SELECT id, title, abstract FROM papers"):
        titles[pid] = title
        docs.append((pid, f"{title}\n{abstract}"))
    hits = sorted(_bm25(docs, p["query"]), key=lambda h: (-h[1], h[0]))
    return [[pid, titles[pid], score] for pid, score in hits[: p["limit"]]]


def _search_concepts(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    info: dict[str, tuple[str, str]] = {}
    docs = []
    for eid, type_, name, aliases in conn.execute("SELECT id, type, name, aliases FROM entities"):
        info[eid] = (type_, name)
        docs.append((eid, "\n".join([name, *json.loads(aliases)])))
    # Like the full-text index: statistics over every concept, the type filter after scoring.
    hits = sorted(
        (h for h in _bm25(docs, p["query"]) if p["type"] is None or info[h[0]][0] == p["type"]),
        key=lambda h: (-h[1], h[0]),
    )
    return [[eid, *info[eid], score] for eid, score in hits[: p["limit"]]]


def _concept_timeline(conn: sqlite3.Connection, p: dict[str, Any]) -> list[list[Any]]:
    counts: dict[tuple[str, int], set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    rows = conn.execute(
        f"SELECT c.id, c.name, q.id, q.published FROM edges e"
        f" JOIN entities c ON c.id = e.target JOIN papers q ON q.id = e.source"
        f" WHERE e.type IN {_IN_CONCEPT} AND q.published IS NOT NULL"
        f" AND (? IS NULL OR c.id = ?) AND (? IS NULL OR c.type = ?)",
        (p["concept_id"], p["concept_id"], p["type"], p["type"]),
    )
    for cid, name, pid, published in rows:
        # Same test as the Cypher regex '[0-9]{4}.*': four ASCII digits first, no newline after.
        if _YEAR.match(published) and not _LINE_BREAK.search(published):
            names[cid] = name
            counts[(cid, int(published[:4]))].add(pid)
    ordered = sorted(counts)
    return [[cid, names[cid], year, len(counts[(cid, year)])]
            for cid, year in ordered[: p["limit"]]]


EMBEDDED: dict[str, Embedded] = {
    "related_papers": _related_papers,
    "papers_by_concept": _papers_by_concept,
    "concepts_of_paper": _concepts_of_paper,
    "top_concepts": _top_concepts,
    "cooccurring_concepts": _cooccurring_concepts,
    "papers_with_code": _papers_with_code,
    "path_between_papers": _path_between_papers,
    "method_benchmark_matrix": _method_benchmark_matrix,
    "search_papers": _search_papers,
    "search_concepts": _search_concepts,
    "concept_timeline": _concept_timeline,
}
"""Embedded implementation of every named query (a test checks it matches ``queries/``)."""
