"""The Neo4j store (scale-out backend): schema, batched idempotent loading, read queries.

Loading sends one parameterized statement per node label and per (relationship type, target
label)::

    UNWIND $rows AS row
    MERGE (n:Method {id: row.id})
    SET n += row

in chunks of ``batch_size`` rows, each chunk in its own managed write transaction
(``Session.execute_write``), so the driver retries transient failures (deadlocks, leader
switches) by re-running the chunk. ``MERGE`` on ``id`` under the uniqueness constraints of
``schemas/neo4j/schema.cypher`` makes every chunk idempotent: loading the same batch twice
creates nothing the second time, and re-running a load that failed half-way completes it
without duplicates. :meth:`Neo4jStore.prune` then deletes kg's nodes and relationships the batch
no longer holds, so a pushed store is mirrored exactly. Labels and relationship types come only from kg's enums
(:class:`kg.models.EntityType`, :class:`kg.models.RelationType`); every value is a ``$parameter``.

Connection settings come from options or the environment (``NEO4J_URI``, ``NEO4J_USERNAME``,
``NEO4J_PASSWORD``, ``NEO4J_DATABASE``); the password is handed to the driver and never kept or
printed. An unreachable server or rejected credentials is a one-line :class:`StoreError` that
names the URI.

Example:
    >>> from kg.store.neo4j import node_statement
    >>> print(node_statement("Method"))
    UNWIND $rows AS row
    MERGE (n:Method {id: row.id})
    SET n += row
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kg.errors import KGError, QueryError, StoreError
from kg.iterutil import batched
from kg.models import Entity, EntityType, GraphBatch, Paper, Relation, RelationType

DEFAULT_URI = "neo4j://localhost:7687"
DEFAULT_USERNAME = "neo4j"
DEFAULT_BATCH_SIZE = 1000

_SOURCE_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "neo4j" / "schema.cypher"
SCHEMA_FILE = (_SOURCE_SCHEMA if _SOURCE_SCHEMA.is_file()
               else Path(__file__).resolve().parents[1] / "neo4j_schema" / "schema.cypher")
"""The constraints and indexes ``kg neo4j init`` applies (one statement per ``;``): the source
tree's ``schemas/neo4j/schema.cypher``, or its copy inside an installed wheel."""

PAPER_LABEL = "Paper"
NODE_LABELS: tuple[str, ...] = (PAPER_LABEL, *(t.label for t in EntityType))
"""Every node label kg writes: ``Paper`` and one per :class:`EntityType`."""

CONCEPT_RELATIONS: tuple[RelationType, ...] = tuple(
    r for r in RelationType if r is not RelationType.RELATED_TO
)
"""Paper -> concept relationship types."""

AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"
"""Waits until every index is online: a full-text query on a still-populating index fails."""

INDEX_TIMEOUT = 300
"""Seconds ``init_schema`` waits for new indexes to come online."""

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``, called after every chunk (stages ``neo4j papers`` ...)."""

_ENV = {"uri": "NEO4J_URI", "username": "NEO4J_USERNAME", "password": "NEO4J_PASSWORD",
        "database": "NEO4J_DATABASE"}


# -- statements ----------------------------------------------------------------------------------
def _check_label(label: str) -> None:
    """Labels in statements come only from kg's enums, never from user strings.

    Raises:
        ValueError: When ``label`` is not one of :data:`NODE_LABELS`.
    """
    if label not in NODE_LABELS:
        raise ValueError(f"not a kg node label: {label!r}")


def node_statement(label: str) -> str:
    """The MERGE statement for nodes of ``label`` (rows are ``model_dump`` maps with ``id``).

    Args:
        label: One of :data:`NODE_LABELS`.

    Returns:
        The Cypher statement, taking ``$rows``.

    Raises:
        ValueError: When ``label`` is not one of kg's labels (labels are never user strings).
    """
    _check_label(label)
    return f"UNWIND $rows AS row\nMERGE (n:{label} {{id: row.id}})\nSET n += row"


def relation_statement(type_: RelationType, target_label: str) -> str:
    """The MERGE statement for ``type_`` relationships from papers to ``target_label`` nodes.

    Rows are ``{"source": paper id, "target": node id, "props": {...}}``; rows whose endpoints
    are missing merge nothing, and the statement returns how many rows did merge.

    Args:
        type_: The relationship type.
        target_label: One of :data:`NODE_LABELS`.

    Returns:
        The Cypher statement, taking ``$rows``.

    Raises:
        ValueError: When ``target_label`` is not one of kg's labels.
    """
    type_ = RelationType(type_)
    _check_label(target_label)
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (s:{PAPER_LABEL} {{id: row.source}})\n"
        f"MATCH (t:{target_label} {{id: row.target}})\n"
        f"MERGE (s)-[r:{type_.value}]->(t)\n"
        "SET r += row.props\n"
        "RETURN count(r) AS merged"
    )


def _relation_endpoints() -> list[tuple[RelationType, str]]:
    """Every (relationship type, target label) pair the loader writes."""
    pairs = [(RelationType.RELATED_TO, PAPER_LABEL)]
    for type_ in CONCEPT_RELATIONS:
        pairs.extend((type_, t.label) for t in EntityType)
    return pairs


def loader_statements() -> list[str]:
    """Every statement the loader can send (the Cypher lint test checks them all)."""
    statements = [AWAIT_INDEXES, *(node_statement(label) for label in NODE_LABELS)]
    statements.extend(relation_statement(*pair) for pair in _relation_endpoints())
    return statements


def node_ids_statement(label: str) -> str:
    """The read statement listing the ids of every ``label`` node (for pruning).

    Raises:
        ValueError: When ``label`` is not one of kg's labels.
    """
    _check_label(label)
    return f"MATCH (n:{label}) RETURN n.id AS id"


def delete_nodes_statement(label: str) -> str:
    """The statement deleting ``label`` nodes by id, with their relationships (``$ids``).

    Raises:
        ValueError: When ``label`` is not one of kg's labels.
    """
    _check_label(label)
    return (
        "UNWIND $ids AS id\n"
        f"MATCH (n:{label} {{id: id}})\n"
        "DETACH DELETE n"
    )


def relation_ids_statement(type_: RelationType, target_label: str) -> str:
    """The read statement listing every ``type_`` relationship to ``target_label`` nodes.

    Raises:
        ValueError: When ``target_label`` is not one of kg's labels.
    """
    type_ = RelationType(type_)
    _check_label(target_label)
    return (
        f"MATCH (s:{PAPER_LABEL})-[:{type_.value}]->(t:{target_label})\n"
        "RETURN s.id AS source, t.id AS target"
    )


def delete_relations_statement(type_: RelationType, target_label: str) -> str:
    """The statement deleting ``type_`` relationships by endpoint ids (``$rows``).

    Raises:
        ValueError: When ``target_label`` is not one of kg's labels.
    """
    type_ = RelationType(type_)
    _check_label(target_label)
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (s:{PAPER_LABEL} {{id: row.source}})-[r:{type_.value}]->"
        f"(t:{target_label} {{id: row.target}})\n"
        "DELETE r"
    )


def prune_statements() -> list[str]:
    """Every statement pruning can send (the Cypher lint test checks them all)."""
    statements = []
    for label in NODE_LABELS:
        statements += [node_ids_statement(label), delete_nodes_statement(label)]
    for pair in _relation_endpoints():
        statements += [relation_ids_statement(*pair), delete_relations_statement(*pair)]
    return statements


def schema_statements(path: Path = SCHEMA_FILE) -> list[str]:
    """The statements of a ``.cypher`` schema file: ``//`` comment lines dropped, split on ``;``.

    Args:
        path: The schema file (default ``schemas/neo4j/schema.cypher``).

    Returns:
        The statements in file order, without the trailing ``;``.

    Raises:
        StoreError: When the file cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the Neo4j schema ({exc.strerror})") from exc
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _node_label(node_id: str, types: Mapping[str, EntityType]) -> str:
    """Label of a node id: from the batch's entities, else from the id prefix (``method:``)."""
    if node_id in types:
        return types[node_id].label
    prefix = node_id.split(":", 1)[0]
    if prefix == "paper":
        return PAPER_LABEL
    try:
        return EntityType(prefix).label
    except ValueError:
        raise StoreError(
            f"relation endpoint {node_id!r} is not a kg node id — ids start with paper:, "
            "method:, dataset:, benchmark:, task: or repo:"
        ) from None


def _paper_row(paper: Paper) -> dict[str, Any]:
    return paper.model_dump(mode="json")


def _entity_row(entity: Entity) -> dict[str, Any]:
    return entity.model_dump(mode="json")


def _relation_row(relation: Relation) -> dict[str, Any]:
    props: dict[str, Any] = {
        "weight": relation.weight, "count": relation.count, "evidence": relation.evidence,
    }
    if relation.type is RelationType.RELATED_TO:
        props["shared"] = list(relation.shared)
    return {"source": relation.source, "target": relation.target, "props": props}


def plan_batch(batch: GraphBatch) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Split a batch into ``(kind, statement, rows)`` steps in load order.

    Papers first, then entities per label, then relationships per (type, target label), so
    every relationship finds its endpoints. Order is deterministic (enum order, then batch order).

    Args:
        batch: What to load.

    Returns:
        Steps with ``kind`` in ``papers``, ``entities``, ``relations``.

    Raises:
        StoreError: When a relationship does not start at a paper, or an endpoint id has no
            kg node type.
    """
    steps: list[tuple[str, str, list[dict[str, Any]]]] = []
    if batch.papers:
        steps.append(("papers", node_statement(PAPER_LABEL), [_paper_row(p) for p in batch.papers]))
    by_type: dict[EntityType, list[dict[str, Any]]] = {t: [] for t in EntityType}
    for entity in batch.entities:
        by_type[entity.type].append(_entity_row(entity))
    for type_, rows in by_type.items():
        if rows:
            steps.append(("entities", node_statement(type_.label), rows))
    types = {e.id: e.type for e in batch.entities}
    grouped: dict[tuple[RelationType, str], list[dict[str, Any]]] = {}
    for relation in batch.relations:
        if _node_label(relation.source, types) != PAPER_LABEL:
            raise StoreError(
                f"relation {relation.source} -[{relation.type.value}]-> {relation.target}: "
                "kg relationships start at a paper"
            )
        key = (relation.type, _node_label(relation.target, types))
        grouped.setdefault(key, []).append(_relation_row(relation))
    order = {label: i for i, label in enumerate(NODE_LABELS)}
    for key in sorted(grouped, key=lambda k: (list(RelationType).index(k[0]), order[k[1]])):
        steps.append(("relations", relation_statement(*key), grouped[key]))
    return steps


# -- transaction functions (re-run by the driver on transient errors: no side effects) ----------
def _write_rows(tx: Any, statement: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    result = tx.run(statement, {"rows": rows})
    records = list(result)
    counters = result.consume().counters
    out = {
        "nodes_created": counters.nodes_created,
        "relationships_created": counters.relationships_created,
        "properties_set": counters.properties_set,
    }
    if records:
        out["merged"] = int(records[0]["merged"])
    return out


def _delete_rows(tx: Any, statement: str, params: dict[str, Any]) -> dict[str, int]:
    counters = tx.run(statement, params).consume().counters
    return {"nodes_deleted": counters.nodes_deleted,
            "relationships_deleted": counters.relationships_deleted}


def _write_schema(tx: Any, statement: str) -> None:
    tx.run(statement).consume()


def _await_indexes(tx: Any, seconds: int) -> None:
    tx.run(AWAIT_INDEXES, {"seconds": seconds}).consume()


def _read_rows(
    tx: Any, statement: str, params: dict[str, Any]
) -> tuple[list[str], list[list[Any]]]:
    result = tx.run(statement, params)
    columns = list(result.keys())
    rows = [list(record.values()) for record in result]
    return columns, rows


# -- settings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Neo4jSettings:
    """Where and as whom to connect. ``repr`` never shows the password.

    Attributes:
        uri: ``neo4j://host:7687`` (routing) or ``bolt://host:7687`` (direct).
        username: The user.
        password: The password (only handed to the driver).
        database: The database name, or None for the server's default database.
    """

    uri: str = DEFAULT_URI
    username: str = DEFAULT_USERNAME
    password: str = field(default="", repr=False)
    database: str | None = None

    @classmethod
    def from_env(
        cls,
        uri: str | None = None,
        username: str | None = None,
        password: str | None = None,
        database: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Neo4jSettings:
        """Settings from explicit values (CLI options), else ``NEO4J_*`` variables, else defaults.

        Args:
            uri: Overrides ``NEO4J_URI`` (default ``neo4j://localhost:7687``).
            username: Overrides ``NEO4J_USERNAME`` (default ``neo4j``).
            password: Overrides ``NEO4J_PASSWORD`` (required).
            database: Overrides ``NEO4J_DATABASE`` (default: the server's default database).
            environ: The environment to read (default ``os.environ``).

        Returns:
            The settings.

        Raises:
            StoreError: When no password is given.
        """
        env = os.environ if environ is None else environ
        given = {"uri": uri, "username": username, "password": password, "database": database}
        values = {k: v if v is not None else env.get(_ENV[k]) or None for k, v in given.items()}
        if not values["password"]:
            raise StoreError(
                "NEO4J_PASSWORD is not set — export it (see docker/.env.example) "
                "or pass --password"
            )
        return cls(
            uri=values["uri"] or DEFAULT_URI,
            username=values["username"] or DEFAULT_USERNAME,
            password=values["password"],
            database=values["database"],
        )


class _Driver(Protocol):
    def session(self, **config: Any) -> Any: ...
    def verify_connectivity(self) -> Any: ...
    def close(self) -> None: ...


_USERINFO = re.compile(r"(?<=://)[^/@\s'\"]*@")


def _display_uri(uri: str) -> str:
    """The URI without any ``user:password@`` part."""
    return _USERINFO.sub("", uri)


def _first_line(exc: BaseException) -> str:
    """First line of an exception's message, without credentials of any URI it quotes."""
    text = str(exc).strip()
    return _display_uri(text.splitlines()[0].strip()) if text else type(exc).__name__


def _create_driver(settings: Neo4jSettings) -> _Driver:
    from neo4j import GraphDatabase

    try:
        return GraphDatabase.driver(settings.uri, auth=(settings.username, settings.password))
    except Exception as exc:  # the driver raises ValueError, ConfigurationError, ImportError...
        raise StoreError(
            f"cannot use Neo4j URI {_display_uri(settings.uri)} ({_first_line(exc)}) — "
            "use neo4j://host:7687 or bolt://host:7687"
        ) from exc


# -- the store -----------------------------------------------------------------------------------
class Neo4jStore:
    """A kg graph in a Neo4j 5 database.

    Args:
        settings: Connection settings (see :meth:`Neo4jSettings.from_env`).
        batch_size: Rows per ``UNWIND`` chunk (one write transaction each).
        driver: A driver-like object (tests pass a fake); default: the official driver.

    Raises:
        StoreError: When the server cannot be reached or rejects the credentials (the message
            names the URI, never the password), or ``batch_size`` < 1.
    """

    def __init__(
        self,
        settings: Neo4jSettings,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        driver: _Driver | None = None,
    ) -> None:
        if batch_size < 1:
            raise StoreError(f"Neo4j batch size must be at least 1 (got {batch_size})")
        self.uri = _display_uri(settings.uri)
        self.username = settings.username
        self.database = settings.database
        self.batch_size = batch_size
        self._driver = driver if driver is not None else _create_driver(settings)
        try:
            with self._errors("connecting"):
                self._driver.verify_connectivity()
        except StoreError:
            self._driver.close()
            raise

    @classmethod
    def connect(
        cls,
        uri: str | None = None,
        username: str | None = None,
        password: str | None = None,
        database: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> Neo4jStore:
        """Open a store from options, falling back to the ``NEO4J_*`` environment variables.

        Raises:
            StoreError: When the password is missing, or the server is unreachable or refuses.
        """
        settings = Neo4jSettings.from_env(uri, username, password, database)
        return cls(settings, batch_size=batch_size)

    def __repr__(self) -> str:
        return (f"Neo4jStore(uri={self.uri!r}, username={self.username!r}, "
                f"database={self.database!r})")

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the driver and its connections."""
        self._driver.close()

    # -- helpers ---------------------------------------------------------------------------------
    def _session(self) -> Any:
        if self.database:
            return self._driver.session(database=self.database)
        return self._driver.session()

    @contextmanager
    def _errors(self, doing: str, error: type[KGError] = StoreError) -> Iterator[None]:
        """Map driver exceptions to one-line kg errors naming the URI."""
        from neo4j.exceptions import (
            AuthError,
            DriverError,
            Neo4jError,
            ServiceUnavailable,
            SessionExpired,
        )

        where = f"Neo4j at {self.uri}" + (f" (database {self.database})" if self.database else "")
        try:
            yield
        except AuthError as exc:
            raise StoreError(
                f"{where} rejected the credentials of user {self.username!r} while {doing} — "
                "check NEO4J_USERNAME / NEO4J_PASSWORD"
            ) from exc
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(
                f"cannot reach Neo4j at {self.uri} while {doing} ({_first_line(exc)}) — start "
                "the server (docker compose -f docker/docker-compose.yml up -d) or fix NEO4J_URI"
            ) from exc
        except Neo4jError as exc:
            code = getattr(exc, "code", None) or type(exc).__name__
            hint = ""
            if code.endswith("DatabaseNotFound"):
                hint = " — create the database or fix NEO4J_DATABASE"
            raise error(f"{where} failed while {doing}: {code}: {_first_line(exc)}{hint}") from exc
        except DriverError as exc:
            raise StoreError(f"{where} failed while {doing}: {_first_line(exc)}") from exc

    # -- schema ----------------------------------------------------------------------------------
    def init_schema(self, path: Path = SCHEMA_FILE) -> int:
        """Create the constraints and full-text indexes if they do not exist (idempotent),
        then wait (up to :data:`INDEX_TIMEOUT` seconds) until every index is online.

        Args:
            path: The schema file.

        Returns:
            The number of schema statements run.

        Raises:
            StoreError: When a statement fails or the server is unreachable.
        """
        statements = schema_statements(path)
        with self._errors("creating the schema"), self._session() as session:
            for statement in statements:
                # Schema changes may not share a transaction with data writes: one each.
                session.execute_write(_write_schema, statement)
            session.execute_read(_await_indexes, INDEX_TIMEOUT)
        return len(statements)

    # -- loading ---------------------------------------------------------------------------------
    def write_batch(self, batch: GraphBatch, progress: Progress | None = None) -> dict[str, int]:
        """Merge a batch (schema first), chunk by chunk, one managed write transaction each.

        Args:
            batch: Papers, entities and relations.
            progress: Called as ``progress("neo4j papers", done, total)`` after every chunk.

        Returns:
            Rows sent per kind (``papers``, ``entities``, ``relations``) and what the server
            reported: ``nodes_created``, ``relationships_created``, ``properties_set``, and
            ``relations_skipped`` (rows whose endpoint node does not exist).

        Raises:
            StoreError: On an unreachable server, rejected credentials, or a failed statement.
                Chunks committed before the failure stay; re-running completes the load.
        """
        steps = plan_batch(batch)
        self.init_schema()
        totals = {"papers": len(batch.papers), "entities": len(batch.entities),
                  "relations": len(batch.relations)}
        done: Counter[str] = Counter()
        server: Counter[str] = Counter()
        with self._errors("loading the graph"), self._session() as session:
            for kind, statement, rows in steps:
                for chunk in batched(rows, self.batch_size):
                    counters = session.execute_write(_write_rows, statement, chunk)
                    server.update(counters)
                    if "merged" in counters:
                        server["relations_skipped"] += len(chunk) - counters["merged"]
                    done[kind] += len(chunk)
                    if progress is not None:
                        progress(f"neo4j {kind}", done[kind], totals[kind])
        return {
            **totals,
            "nodes_created": server["nodes_created"],
            "relationships_created": server["relationships_created"],
            "properties_set": server["properties_set"],
            "relations_skipped": server["relations_skipped"],
        }

    def prune(self, batch: GraphBatch, progress: Progress | None = None) -> dict[str, int]:
        """Delete kg's nodes and relationships that ``batch`` does not hold.

        After :meth:`write_batch` of a whole store, this makes Neo4j mirror the store: papers
        removed, concepts merged away by re-canonicalization and ``RELATED_TO`` links replaced by
        a later build disappear instead of lingering. Only kg's labels and relationship types are
        touched. Ids are read per label and type, compared here, and the stale ones deleted in
        chunks of ``batch_size`` (each chunk one managed write transaction, idempotent).

        Args:
            batch: Everything that should remain.
            progress: Called as ``progress("neo4j prune", done, total)`` per label and type.

        Returns:
            ``nodes_deleted`` and ``relationships_deleted`` as the server reported them.

        Raises:
            StoreError: On an unreachable server or a failed statement.
        """
        # What stays, as the row tuples the read statements return: (id,) or (source, target).
        keep_nodes: dict[str, set[tuple[str, ...]]] = {label: set() for label in NODE_LABELS}
        keep_nodes[PAPER_LABEL].update((p.id,) for p in batch.papers)
        for entity in batch.entities:
            keep_nodes[entity.type.label].add((entity.id,))
        types = {e.id: e.type for e in batch.entities}
        pairs = _relation_endpoints()
        keep_rels: dict[tuple[RelationType, str], set[tuple[str, ...]]] = {p: set() for p in pairs}
        for relation in batch.relations:
            key = (relation.type, _node_label(relation.target, types))
            keep_rels.setdefault(key, set()).add((relation.source, relation.target))
        # (read statement, what stays, delete statement, stale keys -> its parameters). Nodes
        # first: DETACH DELETE takes their relationships along, so the relationship passes only
        # meet links between nodes that stay.
        passes = [
            (node_ids_statement(label), keep_nodes[label], delete_nodes_statement(label),
             lambda keys: {"ids": [k[0] for k in keys]})
            for label in NODE_LABELS
        ] + [
            (relation_ids_statement(*pair), keep_rels[pair], delete_relations_statement(*pair),
             lambda keys: {"rows": [{"source": s, "target": t} for s, t in keys]})
            for pair in pairs
        ]
        deleted: Counter[str] = Counter()
        with self._errors("pruning the graph"), self._session() as session:
            for done, (read, keep, delete, params) in enumerate(passes, 1):
                _, rows = session.execute_read(_read_rows, read, {})
                stale = sorted({tuple(row) for row in rows} - keep)
                for chunk in batched(stale, self.batch_size):
                    deleted.update(session.execute_write(_delete_rows, delete, params(chunk)))
                if progress is not None:
                    progress("neo4j prune", done, len(passes))
        return {"nodes_deleted": deleted["nodes_deleted"],
                "relationships_deleted": deleted["relationships_deleted"]}

    # -- reading ---------------------------------------------------------------------------------
    def run_cypher(
        self, statement: str, params: Mapping[str, Any] | None = None
    ) -> tuple[list[str], list[list[Any]]]:
        """Run a read statement in a managed read transaction.

        Args:
            statement: Cypher text (values only as ``$parameters``).
            params: The parameter values.

        Returns:
            ``(columns, rows)``.

        Raises:
            QueryError: When the server rejects the statement.
            StoreError: When the server is unreachable.
        """
        with self._errors("running a query", QueryError), self._session() as session:
            return session.execute_read(_read_rows, statement, dict(params or {}))


# -- entry points for the CLI ---------------------------------------------------------------
def init_schema(
    uri: str | None = None,
    username: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> int:
    """``kg neo4j init``: connect and create the constraints and indexes.

    Returns:
        The number of schema statements applied.

    Raises:
        StoreError: Missing password, unreachable server, rejected credentials.
    """
    with Neo4jStore.connect(uri, username, password, database) as store:
        return store.init_schema()


def push_store(
    source: Any,
    uri: str | None = None,
    username: str | None = None,
    password: str | None = None,
    database: str | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    prune: bool = True,
) -> dict[str, int]:
    """``kg neo4j load``: push the whole embedded store (anything with ``.batch()``) to Neo4j.

    With ``prune`` (the default) kg's nodes and relationships that the store no longer holds are
    deleted after the load, so Neo4j mirrors the store; without it the load only merges.

    Returns:
        The counts of :meth:`Neo4jStore.write_batch`, plus those of :meth:`Neo4jStore.prune`.

    Raises:
        StoreError: Missing password, unreachable server, rejected credentials, failed write.
    """
    # Connect first: a wrong password should fail before the whole store is read.
    with Neo4jStore.connect(uri, username, password, database, batch_size=batch_size) as store:
        batch = source.batch()
        counts = store.write_batch(batch, progress=progress)
        if prune:
            counts.update(store.prune(batch, progress=progress))
        return counts
