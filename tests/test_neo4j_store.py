"""The Neo4j loader against a fake driver: the exact statements and parameters it sends,
batching, progress, the retry path, idempotence, recovery after a failed load, error mapping.

The fake session behaves like the driver's managed transactions: ``execute_write`` runs the
transaction function on a fresh transaction, rolls back on an exception and re-runs it when the
exception is retryable (``TransientError``). The fake graph understands only the loader's own
statement shapes (``MERGE`` on id): anything else — a ``CREATE``, say — fails the test.
"""

from __future__ import annotations

import copy
import re
import socket
from typing import Any

import pytest
from neo4j.exceptions import (
    AuthError,
    CypherSyntaxError,
    DatabaseError,
    ServiceUnavailable,
    TransientError,
)

from kg.errors import QueryError, StoreError
from kg.models import Entity, EntityType, GraphBatch, Paper, Relation, RelationType
from kg.store.neo4j import (
    AWAIT_INDEXES,
    NODE_LABELS,
    Neo4jSettings,
    Neo4jStore,
    loader_statements,
    node_statement,
    plan_batch,
    prune_statements,
    push_store,
    relation_statement,
    schema_statements,
)

URI = "neo4j://db.example:7687"
PASSWORD = "s3cret-Passw0rd"
NODE = re.compile(r"UNWIND \$rows AS row\nMERGE \(n:(\w+) \{id: row\.id\}\)\nSET n \+= row")
REL = re.compile(
    r"UNWIND \$rows AS row\nMATCH \(s:Paper \{id: row\.source\}\)\n"
    r"MATCH \(t:(\w+) \{id: row\.target\}\)\nMERGE \(s\)-\[r:(\w+)\]->\(t\)\n"
    r"SET r \+= row\.props\nRETURN count\(r\) AS merged"
)
NODE_IDS = re.compile(r"MATCH \(n:(\w+)\) RETURN n\.id AS id")
DELETE_NODES = re.compile(r"UNWIND \$ids AS id\nMATCH \(n:(\w+) \{id: id\}\)\nDETACH DELETE n")
REL_IDS = re.compile(r"MATCH \(s:Paper\)-\[:(\w+)\]->\(t:(\w+)\)\nRETURN s\.id AS source, t\.id AS target")
DELETE_RELS = re.compile(
    r"UNWIND \$rows AS row\nMATCH \(s:Paper \{id: row\.source\}\)-\[r:(\w+)\]->"
    r"\(t:(\w+) \{id: row\.target\}\)\nDELETE r"
)


# -- fake driver ------------------------------------------------------------------------------------
class FakeCounters:
    def __init__(self, nodes: int = 0, rels: int = 0, props: int = 0, nodes_deleted: int = 0,
                 rels_deleted: int = 0) -> None:
        self.nodes_created, self.relationships_created, self.properties_set = nodes, rels, props
        self.nodes_deleted, self.relationships_deleted = nodes_deleted, rels_deleted


class FakeResult:
    def __init__(self, keys: list[str], rows: list[list[Any]], counters: FakeCounters) -> None:
        self._keys, self._rows, self._counters = keys, rows, counters

    def keys(self) -> list[str]:
        return self._keys

    def __iter__(self) -> Any:
        return iter(FakeRecord(self._keys, row) for row in self._rows)

    def consume(self) -> Any:
        return type("Summary", (), {"counters": self._counters})()


class FakeRecord:
    def __init__(self, keys: list[str], values: list[Any]) -> None:
        self._data = dict(zip(keys, values))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def values(self) -> list[Any]:
        return list(self._data.values())


class FakeGraph:
    """Committed state, a log of every tx.run, and faults to inject at given run numbers."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self.rels: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.schema: list[str] = []
        self.runs: list[tuple[str, Any]] = []
        self.faults: dict[int, Exception] = {}
        self.reads: dict[str, tuple[list[str], list[list[Any]]]] = {}
        self.commits = 0
        self.rollbacks = 0


class FakeTx:
    def __init__(self, graph: FakeGraph) -> None:
        self.graph = graph
        self.nodes = copy.deepcopy(graph.nodes)
        self.rels = copy.deepcopy(graph.rels)
        self.schema = list(graph.schema)

    def run(self, statement: str, params: dict[str, Any] | None = None) -> FakeResult:
        g = self.graph
        g.runs.append((statement, copy.deepcopy(params)))
        if len(g.runs) in g.faults:
            raise g.faults.pop(len(g.runs))
        if statement.startswith(("CREATE CONSTRAINT", "CREATE FULLTEXT INDEX")):
            assert params is None
            self.schema.append(statement)
            return FakeResult([], [], FakeCounters())
        if statement == AWAIT_INDEXES:
            assert params == {"seconds": 300}
            return FakeResult([], [], FakeCounters())
        if statement in g.reads:
            keys, rows = g.reads[statement]
            return FakeResult(keys, rows, FakeCounters())
        if m := NODE_IDS.fullmatch(statement):
            rows = [[nid] for label, nid in self.nodes if label == m.group(1)]
            return FakeResult(["id"], rows, FakeCounters())
        if m := REL_IDS.fullmatch(statement):
            labels = {nid: label for label, nid in self.nodes}
            rows = [[s, t] for s, type_, t in self.rels
                    if type_ == m.group(1) and labels.get(t) == m.group(2)]
            return FakeResult(["source", "target"], rows, FakeCounters())
        if m := DELETE_NODES.fullmatch(statement):
            assert params is not None and set(params) == {"ids"}
            nodes = rels = 0
            for nid in params["ids"]:
                if self.nodes.pop((m.group(1), nid), None) is not None:
                    nodes += 1
                    for key in [k for k in self.rels if nid in (k[0], k[2])]:
                        del self.rels[key]
                        rels += 1
            return FakeResult([], [], FakeCounters(nodes_deleted=nodes, rels_deleted=rels))
        if m := DELETE_RELS.fullmatch(statement):
            assert params is not None and set(params) == {"rows"}
            labels = {nid: label for label, nid in self.nodes}
            rels = 0
            for row in params["rows"]:
                key = (row["source"], m.group(1), row["target"])
                if key in self.rels and labels.get(row["target"]) == m.group(2):
                    del self.rels[key]
                    rels += 1
            return FakeResult([], [], FakeCounters(rels_deleted=rels))
        assert params is not None and set(params) == {"rows"}
        if m := NODE.fullmatch(statement):
            created = props = 0
            for row in params["rows"]:
                key = (m.group(1), row["id"])
                created += key not in self.nodes
                node = self.nodes.setdefault(key, {})
                node.update(row)
                props += len(row)
                for k in [k for k, v in node.items() if v is None]:
                    del node[k]
            return FakeResult([], [], FakeCounters(created, 0, props))
        if m := REL.fullmatch(statement):
            label, rel_type = m.groups()
            merged = created = props = 0
            for row in params["rows"]:
                if ("Paper", row["source"]) not in self.nodes or (label, row["target"]) not in self.nodes:
                    continue
                key = (row["source"], rel_type, row["target"])
                created += key not in self.rels
                self.rels.setdefault(key, {}).update(row["props"])
                merged += 1
                props += len(row["props"])
            return FakeResult(["merged"], [[merged]], FakeCounters(0, created, props))
        raise AssertionError(f"the fake graph does not understand:\n{statement}")

    def commit(self) -> None:
        self.graph.nodes, self.graph.rels, self.graph.schema = self.nodes, self.rels, self.schema
        self.graph.commits += 1


class FakeSession:
    def __init__(self, graph: FakeGraph, log: list[Any], config: dict[str, Any]) -> None:
        self.graph, self.log, self.config = graph, log, config

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.log.append(("session closed",))

    def _managed(self, kind: str, fn: Any, *args: Any) -> Any:
        for attempt in range(5):
            self.log.append((kind, fn.__name__, attempt))
            tx = FakeTx(self.graph)
            try:
                value = fn(tx, *args)
            except Exception as exc:
                self.graph.rollbacks += 1
                if isinstance(exc, TransientError) and attempt < 4:
                    continue
                raise
            tx.commit()
            return value
        raise AssertionError("unreachable")

    def execute_write(self, fn: Any, *args: Any) -> Any:
        return self._managed("write", fn, *args)

    def execute_read(self, fn: Any, *args: Any) -> Any:
        return self._managed("read", fn, *args)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the loader must use managed transactions, not session.run")


class FakeDriver:
    def __init__(self, graph: FakeGraph | None = None, connect_error: Exception | None = None) -> None:
        self.graph = graph or FakeGraph()
        self.connect_error = connect_error
        self.log: list[Any] = []
        self.closed = False

    def verify_connectivity(self) -> None:
        self.log.append(("verify",))
        if self.connect_error:
            raise self.connect_error

    def session(self, **config: Any) -> FakeSession:
        self.log.append(("session", config))
        return FakeSession(self.graph, self.log, config)

    def close(self) -> None:
        self.closed = True


def settings(**kw: Any) -> Neo4jSettings:
    return Neo4jSettings(**{"uri": URI, "username": "neo4j", "password": PASSWORD, **kw})


def small_batch() -> GraphBatch:
    return GraphBatch(
        papers=(
            Paper(id="paper:a", title="A", abstract="We use PPO.", authors=("X. Y",),
                  published="2023"),
            Paper(id="paper:b", title="B", abstract="D4RL."),
            Paper(id="paper:c", title="C", abstract="PPO again."),
        ),
        entities=(
            Entity(id="method:ppo", type=EntityType.METHOD, name="PPO",
                   aliases=("Proximal Policy Optimization",)),
            Entity(id="dataset:d4rl", type=EntityType.DATASET, name="D4RL"),
        ),
        relations=(
            Relation(source="paper:a", target="method:ppo", type=RelationType.USES, count=2,
                     evidence="We use PPO."),
            Relation(source="paper:b", target="dataset:d4rl", type=RelationType.EVALUATES_ON),
            Relation(source="paper:a", target="paper:b", type=RelationType.RELATED_TO,
                     weight=0.5, shared=("method:ppo", "term:rl")),
            Relation(source="paper:c", target="method:ppo", type=RelationType.USES),
        ),
    )


def _paper(pid: str, title: str, abstract: str, authors: list[str] = [],  # noqa: B006
           published: str | None = None) -> dict[str, Any]:
    return {"id": pid, "title": title, "abstract": abstract, "url": None, "arxiv_id": None,
            "authors": authors, "published": published, "source": None, "links": []}


# -- statements -------------------------------------------------------------------------------------
def test_neo4j_store_statement_text() -> None:
    assert node_statement("Paper") == (
        "UNWIND $rows AS row\nMERGE (n:Paper {id: row.id})\nSET n += row")
    assert relation_statement(RelationType.EVALUATES_ON, "Benchmark") == (
        "UNWIND $rows AS row\n"
        "MATCH (s:Paper {id: row.source})\n"
        "MATCH (t:Benchmark {id: row.target})\n"
        "MERGE (s)-[r:EVALUATES_ON]->(t)\n"
        "SET r += row.props\n"
        "RETURN count(r) AS merged"
    )


@pytest.mark.parametrize("label", ["Person", "Paper) DETACH DELETE n //", "paper", ""])
def test_neo4j_store_labels_only_from_enums(label: str) -> None:
    with pytest.raises(ValueError):
        node_statement(label)
    with pytest.raises(ValueError):
        relation_statement(RelationType.USES, label)
    with pytest.raises(ValueError):
        relation_statement("USES]->() DETACH DELETE s //", "Method")  # type: ignore[arg-type]


def test_neo4j_store_loader_statements_cover_every_label_and_type() -> None:
    statements = loader_statements()
    assert statements[0] == "CALL db.awaitIndexes($seconds)"
    statements = statements[1:]
    assert len(statements) == len(set(statements)) == len(NODE_LABELS) + 1 + 5 * 5
    for statement in statements:
        assert "$rows" in statement and "CREATE" not in statement


def test_neo4j_store_schema_file_has_a_constraint_per_label() -> None:
    statements = schema_statements()
    for label in NODE_LABELS:
        assert (f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) "
                "REQUIRE n.id IS UNIQUE") in statements
    fulltext = [s for s in statements if s.startswith("CREATE FULLTEXT INDEX")]
    assert fulltext == [
        "CREATE FULLTEXT INDEX paper_text IF NOT EXISTS\nFOR (n:Paper) ON EACH [n.title, n.abstract]",
        "CREATE FULLTEXT INDEX concept_names IF NOT EXISTS\n"
        "FOR (n:Method|Dataset|Benchmark|Task|Repo) ON EACH [n.name, n.aliases]",
    ]
    assert len(statements) == len(NODE_LABELS) + 2
    assert all("IF NOT EXISTS" in s for s in statements)


def test_neo4j_store_plan_rejects_unknown_endpoints() -> None:
    batch = GraphBatch(relations=(
        Relation(source="paper:a", target="gene:brca1", type=RelationType.USES),))
    with pytest.raises(StoreError, match="'gene:brca1' is not a kg node id"):
        plan_batch(batch)
    batch = GraphBatch(relations=(
        Relation(source="method:x", target="paper:a", type=RelationType.USES),))
    with pytest.raises(StoreError, match="kg relationships start at a paper"):
        plan_batch(batch)


# -- loading ------------------------------------------------------------------------------------------
def test_neo4j_store_sends_exact_statements_and_parameters_in_batches() -> None:
    driver = FakeDriver()
    progress: list[tuple[str, int, int]] = []
    store = Neo4jStore(settings(database="kg"), batch_size=2, driver=driver)
    counts = store.write_batch(small_batch(), progress=lambda *a: progress.append(a))

    schema = [(s, None) for s in schema_statements()] + [(AWAIT_INDEXES, {"seconds": 300})]
    uses = relation_statement(RelationType.USES, "Method")
    assert driver.graph.runs == schema + [
        (node_statement("Paper"), {"rows": [
            _paper("paper:a", "A", "We use PPO.", ["X. Y"], "2023"),
            _paper("paper:b", "B", "D4RL."),
        ]}),
        (node_statement("Paper"), {"rows": [_paper("paper:c", "C", "PPO again.")]}),
        (node_statement("Method"), {"rows": [
            {"id": "method:ppo", "type": "method", "name": "PPO",
             "aliases": ["Proximal Policy Optimization"]}]}),
        (node_statement("Dataset"), {"rows": [
            {"id": "dataset:d4rl", "type": "dataset", "name": "D4RL", "aliases": []}]}),
        (uses, {"rows": [
            {"source": "paper:a", "target": "method:ppo",
             "props": {"weight": 1.0, "count": 2, "evidence": "We use PPO."}},
            {"source": "paper:c", "target": "method:ppo",
             "props": {"weight": 1.0, "count": 1, "evidence": None}},
        ]}),
        (relation_statement(RelationType.EVALUATES_ON, "Dataset"), {"rows": [
            {"source": "paper:b", "target": "dataset:d4rl",
             "props": {"weight": 1.0, "count": 1, "evidence": None}}]}),
        (relation_statement(RelationType.RELATED_TO, "Paper"), {"rows": [
            {"source": "paper:a", "target": "paper:b",
             "props": {"weight": 0.5, "count": 1, "evidence": None,
                       "shared": ["method:ppo", "term:rl"]}}]}),
    ]
    # One managed write transaction per schema statement and per chunk; database from settings.
    writes = [e for e in driver.log if e[0] == "write"]
    assert len(writes) == len(schema_statements()) + 7
    assert [e for e in driver.log if e[0] == "read"] == [("read", "_await_indexes", 0)]
    assert {e[1]["database"] for e in driver.log if e[0] == "session"} == {"kg"}
    assert progress == [
        ("neo4j papers", 2, 3), ("neo4j papers", 3, 3),
        ("neo4j entities", 1, 2), ("neo4j entities", 2, 2),
        ("neo4j relations", 2, 4), ("neo4j relations", 3, 4), ("neo4j relations", 4, 4),
    ]
    assert counts["papers"] == 3 and counts["entities"] == 2 and counts["relations"] == 4
    assert counts["nodes_created"] == 5 and counts["relationships_created"] == 4
    assert counts["relations_skipped"] == 0
    # Lists are native lists on the nodes; None values are not stored.
    assert driver.graph.nodes[("Method", "method:ppo")]["aliases"] == ["Proximal Policy Optimization"]
    assert "url" not in driver.graph.nodes[("Paper", "paper:a")]


def test_neo4j_store_load_twice_changes_nothing() -> None:
    driver = FakeDriver()
    store = Neo4jStore(settings(), driver=driver)
    store.write_batch(small_batch())
    before = copy.deepcopy((driver.graph.nodes, driver.graph.rels))
    again = store.write_batch(small_batch())
    assert (driver.graph.nodes, driver.graph.rels) == before
    assert again["nodes_created"] == 0 and again["relationships_created"] == 0


def test_neo4j_store_new_papers_add_only_what_is_new() -> None:
    driver = FakeDriver()
    store = Neo4jStore(settings(), driver=driver)
    store.write_batch(small_batch())
    extra = GraphBatch(
        papers=(Paper(id="paper:d", title="D", abstract="PPO."),),
        relations=(Relation(source="paper:d", target="method:ppo", type=RelationType.USES),),
    )
    counts = store.write_batch(extra)
    assert counts["nodes_created"] == 1 and counts["relationships_created"] == 1
    assert len(driver.graph.nodes) == 6 and len(driver.graph.rels) == 5


def test_neo4j_store_counts_relations_whose_endpoint_is_missing() -> None:
    driver = FakeDriver()
    batch = GraphBatch(papers=(Paper(id="paper:a"),), relations=(
        Relation(source="paper:a", target="task:unknown", type=RelationType.ADDRESSES),))
    counts = Neo4jStore(settings(), driver=driver).write_batch(batch)
    assert counts["relations_skipped"] == 1 and counts["relationships_created"] == 0


def test_neo4j_store_transient_error_is_retried_by_execute_write() -> None:
    clean = FakeDriver()
    expected = Neo4jStore(settings(), batch_size=2, driver=clean).write_batch(small_batch())

    driver = FakeDriver()
    first_data_run = len(schema_statements()) + 2  # after the schema and the index wait
    driver.graph.faults[first_data_run] = TransientError("deadlock detected")
    progress: list[Any] = []
    counts = Neo4jStore(settings(), batch_size=2, driver=driver).write_batch(
        small_batch(), progress=lambda *a: progress.append(a))
    # The failed chunk ran twice (rolled back once), nothing was counted twice.
    assert driver.graph.runs[first_data_run - 1] == driver.graph.runs[first_data_run]
    assert driver.graph.rollbacks == 1
    assert counts == expected
    assert (driver.graph.nodes, driver.graph.rels) == (clean.graph.nodes, clean.graph.rels)
    assert len(progress) == 7


def test_neo4j_store_rerun_after_failed_load_completes_without_duplicates() -> None:
    clean = FakeDriver()
    Neo4jStore(settings(), batch_size=2, driver=clean).write_batch(small_batch())

    graph = FakeGraph()
    # Fail on the EVALUATES_ON chunk: papers, entities and the USES chunk are committed.
    graph.faults[len(schema_statements()) + 7] = DatabaseError("disk full")
    with pytest.raises(StoreError) as info:
        Neo4jStore(settings(), batch_size=2, driver=FakeDriver(graph)).write_batch(small_batch())
    assert str(info.value) == (
        f"Neo4j at {URI} failed while loading the graph: "
        "Neo.DatabaseError.General.UnknownError: disk full"
    )
    assert len(graph.rels) == 2

    counts = Neo4jStore(settings(), batch_size=2, driver=FakeDriver(graph)).write_batch(
        small_batch())
    assert counts["nodes_created"] == 0 and counts["relationships_created"] == 2
    assert (graph.nodes, graph.rels) == (clean.graph.nodes, clean.graph.rels)


def test_neo4j_store_nothing_sent_when_the_batch_is_invalid() -> None:
    driver = FakeDriver()
    batch = GraphBatch(relations=(
        Relation(source="paper:a", target="x:y", type=RelationType.USES),))
    with pytest.raises(StoreError):
        Neo4jStore(settings(), driver=driver).write_batch(batch)
    assert driver.graph.runs == []


def test_neo4j_store_init_schema_is_one_write_per_statement() -> None:
    driver = FakeDriver()
    store = Neo4jStore(settings(), driver=driver)
    assert store.init_schema() == len(schema_statements())
    assert store.init_schema() == len(schema_statements())
    assert [r[0] for r in driver.graph.runs] == (schema_statements() + [AWAIT_INDEXES]) * 2
    writes = [e for e in driver.log if e[0] == "write"]
    assert len(writes) == 2 * len(schema_statements())


def test_neo4j_store_push_store_loads_the_embedded_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = FakeDriver()
    monkeypatch.setattr("kg.store.neo4j._create_driver", lambda s: driver)
    monkeypatch.setenv("NEO4J_PASSWORD", PASSWORD)

    class Source:
        def batch(self) -> GraphBatch:
            return small_batch()

    counts = push_store(Source(), uri=URI, batch_size=3)
    assert counts["nodes_created"] == 5 and driver.closed


# -- pruning (Neo4j mirrors the store) -----------------------------------------------------------------
def later_batch() -> GraphBatch:
    """The store after a rebuild: paper c and dataset D4RL gone, a new paper d, the related link
    re-ranked from a->b to a->d, and paper a no longer using PPO."""
    base = small_batch()
    return GraphBatch(
        papers=(base.papers[0], base.papers[1], Paper(id="paper:d", title="D", abstract="PPO.")),
        entities=(base.entities[0],),
        relations=(
            Relation(source="paper:d", target="method:ppo", type=RelationType.USES),
            Relation(source="paper:a", target="paper:d", type=RelationType.RELATED_TO,
                     weight=0.4, shared=("method:ppo",)),
        ),
    )


def test_neo4j_store_prune_leaves_exactly_the_new_batch() -> None:
    fresh = FakeDriver()
    Neo4jStore(settings(), driver=fresh).write_batch(later_batch())

    driver = FakeDriver()
    store = Neo4jStore(settings(), batch_size=1, driver=driver)
    store.write_batch(small_batch())
    store.write_batch(later_batch())
    assert ("Paper", "paper:c") in driver.graph.nodes  # merging alone keeps what is stale
    progress: list[Any] = []
    counts = store.prune(later_batch(), progress=lambda *a: progress.append(a))
    assert (driver.graph.nodes.keys(), driver.graph.rels.keys()) == (
        fresh.graph.nodes.keys(), fresh.graph.rels.keys())
    # Deleted: nodes paper:c and dataset:d4rl (and with them c-USES->ppo, b-EVALUATES_ON->d4rl),
    # then the stale links a-USES->ppo and a-RELATED_TO->b between nodes that stay.
    assert counts == {"nodes_deleted": 2, "relationships_deleted": 4}
    assert progress[-1] == ("neo4j prune", len(NODE_LABELS) + 1 + 5 * 5, len(NODE_LABELS) + 26)
    # Pruning again finds nothing, and sends no delete statement.
    runs = len(driver.graph.runs)
    assert store.prune(later_batch()) == {"nodes_deleted": 0, "relationships_deleted": 0}
    assert all(not st.startswith("UNWIND") for st, _ in driver.graph.runs[runs:])


def test_neo4j_store_prune_deletes_in_chunks_of_batch_size() -> None:
    driver = FakeDriver()
    store = Neo4jStore(settings(), batch_size=2, driver=driver)
    many = GraphBatch(papers=tuple(Paper(id=f"paper:{i}", title=str(i)) for i in range(5)))
    store.write_batch(many)
    counts = store.prune(GraphBatch())
    deletes = [p for st, p in driver.graph.runs if DELETE_NODES.fullmatch(st)]
    assert [d["ids"] for d in deletes] == [["paper:0", "paper:1"], ["paper:2", "paper:3"],
                                           ["paper:4"]]
    assert counts["nodes_deleted"] == 5 and driver.graph.nodes == {}


def test_neo4j_store_push_store_prunes_unless_asked_not_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", PASSWORD)

    class Source:
        def __init__(self, batch: GraphBatch) -> None:
            self._batch = batch

        def batch(self) -> GraphBatch:
            return self._batch

    for prune, papers in ((False, {"paper:a", "paper:b", "paper:c", "paper:d"}),
                          (True, {"paper:a", "paper:b", "paper:d"})):
        driver = FakeDriver()
        monkeypatch.setattr("kg.store.neo4j._create_driver", lambda s: driver)
        push_store(Source(small_batch()), uri=URI)
        counts = push_store(Source(later_batch()), uri=URI, prune=prune)
        assert {nid for label, nid in driver.graph.nodes if label == "Paper"} == papers
        assert ("nodes_deleted" in counts) is prune


def test_neo4j_store_prune_statements_only_touch_kg_labels_and_types() -> None:
    statements = prune_statements()
    assert len(statements) == len(set(statements)) == 2 * (len(NODE_LABELS) + 1 + 5 * 5)
    for statement in statements:
        assert any(f":{label}" in statement for label in NODE_LABELS)
        assert "CREATE" not in statement and "MERGE" not in statement


# -- reading --------------------------------------------------------------------------------------------
def test_neo4j_store_run_cypher_uses_a_read_transaction() -> None:
    driver = FakeDriver()
    driver.graph.reads["RETURN $x AS x"] = (["x"], [[1], [2]])
    store = Neo4jStore(settings(), driver=driver)
    assert store.run_cypher("RETURN $x AS x", {"x": 1}) == (["x"], [[1], [2]])
    assert driver.graph.runs == [("RETURN $x AS x", {"x": 1})]
    assert ("read", "_read_rows", 0) in driver.log


def test_neo4j_store_rejected_query_is_a_query_error() -> None:
    driver = FakeDriver()
    driver.graph.faults[1] = CypherSyntaxError("Invalid input 'RETRN'")
    with pytest.raises(QueryError, match=r"^Neo4j at .* failed while running a query: .*RETRN"):
        Neo4jStore(settings(), driver=driver).run_cypher("RETRN 1", {})


# -- connection faults ----------------------------------------------------------------------------------
def test_neo4j_store_unreachable_server_is_one_line_naming_the_uri() -> None:
    driver = FakeDriver(connect_error=ServiceUnavailable(
        "Couldn't connect to db.example:7687 (resolved to ()):\nConnection refused"))
    with pytest.raises(StoreError) as info:
        Neo4jStore(settings(), driver=driver)
    message = str(info.value)
    assert message == (
        f"cannot reach Neo4j at {URI} while connecting (Couldn't connect to db.example:7687 "
        "(resolved to ()):) — start the server (docker compose -f docker/docker-compose.yml up -d) "
        "or fix NEO4J_URI"
    )
    assert PASSWORD not in message and driver.closed


def test_neo4j_store_wrong_password_is_one_line_without_the_password() -> None:
    driver = FakeDriver(connect_error=AuthError(
        "The client is unauthorized due to authentication failure."))
    with pytest.raises(StoreError) as info:
        Neo4jStore(settings(), driver=driver)
    assert str(info.value) == (
        f"Neo4j at {URI} rejected the credentials of user 'neo4j' while connecting — "
        "check NEO4J_USERNAME / NEO4J_PASSWORD"
    )
    assert PASSWORD not in str(info.value)


def test_neo4j_store_lost_connection_during_load_is_mapped() -> None:
    driver = FakeDriver()
    driver.graph.faults[1] = ServiceUnavailable("Connection lost")
    with pytest.raises(StoreError, match=rf"^cannot reach Neo4j at {URI} while creating the schema"):
        Neo4jStore(settings(), driver=driver).write_batch(small_batch())


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_neo4j_store_real_driver_unreachable_server(scheme: str) -> None:
    uri = f"{scheme}://127.0.0.1:{_closed_port()}"
    with pytest.raises(StoreError) as info:
        Neo4jStore(Neo4jSettings(uri=uri, password=PASSWORD))
    message = str(info.value)
    assert message.startswith(f"cannot reach Neo4j at {uri} while connecting (")
    assert "\n" not in message and PASSWORD not in message


@pytest.mark.parametrize("uri", ["foo://127.0.0.1:7687", "127.0.0.1:7687",
                                 "bolt://neo4j:s3cret-Passw0rd@127.0.0.1:7687/x?y=z"])
def test_neo4j_store_bad_uri_never_shows_credentials(uri: str) -> None:
    with pytest.raises(StoreError) as info:
        Neo4jStore(Neo4jSettings(uri=uri, password=PASSWORD))
    message = str(info.value)
    assert "\n" not in message and PASSWORD not in message
    assert "Neo4j" in message


# -- settings ---------------------------------------------------------------------------------------------
def test_neo4j_store_settings_from_environment_and_options() -> None:
    env = {"NEO4J_URI": "bolt://h:7687", "NEO4J_USERNAME": "kg", "NEO4J_PASSWORD": "pw1",
           "NEO4J_DATABASE": "papers"}
    assert Neo4jSettings.from_env(environ=env) == Neo4jSettings("bolt://h:7687", "kg", "pw1", "papers")
    assert Neo4jSettings.from_env(uri="neo4j://o:1", password="pw2", environ=env) == Neo4jSettings(
        "neo4j://o:1", "kg", "pw2", "papers")
    assert Neo4jSettings.from_env(environ={"NEO4J_PASSWORD": "x"}) == Neo4jSettings(
        "neo4j://localhost:7687", "neo4j", "x", None)
    assert "pw1" not in repr(Neo4jSettings.from_env(environ=env))


def test_neo4j_store_missing_password_is_an_error() -> None:
    with pytest.raises(StoreError, match="^NEO4J_PASSWORD is not set — export it"):
        Neo4jSettings.from_env(environ={"NEO4J_URI": "bolt://h:7687"})


def test_neo4j_store_is_a_graph_store() -> None:
    from kg.store.base import GraphStore

    assert isinstance(Neo4jStore(settings(), driver=FakeDriver()), GraphStore)


def test_neo4j_store_repr_and_batch_size() -> None:
    store = Neo4jStore(settings(), driver=FakeDriver())
    assert PASSWORD not in repr(store) and URI in repr(store)
    with pytest.raises(StoreError, match="batch size must be at least 1"):
        Neo4jStore(settings(), batch_size=0, driver=FakeDriver())
