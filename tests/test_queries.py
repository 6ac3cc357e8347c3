"""Named queries: registry drift, header parsing, parameter binding, and the parity suite.

The parity suite runs every helper on a small hand-made graph and compares with results worked
out by hand (comments say why each row is there). It runs on the embedded backend always, and on
Neo4j too when NEO4J_URI is set (``pytest -m neo4j``; the database must be empty, or set
KG_NEO4J_TEST_WIPE=1 to let the test clear it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.errors import QueryError
from kg.models import Entity, EntityType, GraphBatch, Paper, Relation, RelationType
from kg.queries import EMBEDDED, QUERIES_DIR, get_query, list_queries, parse_query_file, run_query
from kg.store.sqlite import SQLiteStore

M, D, B, T, R = (EntityType.METHOD, EntityType.DATASET, EntityType.BENCHMARK, EntityType.TASK,
                 EntityType.REPO)
PPO = "method:proximal-policy-optimization"
DT = "method:decision-transformer"
CQL = "method:conservative-q-learning"
D4RL = "dataset:d4rl"
MUJOCO = "benchmark:mujoco"
ATARI = "benchmark:atari"
OFFLINE = "task:offline-reinforcement-learning"
ROBOT = "task:robotic-manipulation"
KZL = "repo:github:kzl/decision-transformer"
HF = "repo:huggingface:edbeeching/decision-transformer-gym-hopper-medium"
BASELINES = "repo:github:openai/baselines"

TITLES = {
    "paper:p1": "Proximal Policy Optimization Algorithms",
    "paper:p2": "Offline RL with PPO on D4RL",
    "paper:p3": "Decision Transformer: Reinforcement Learning via Sequence Modeling",
    "paper:p4": "Conservative Q-Learning for Offline Reinforcement Learning",
    "paper:p5": "A Survey of Robot Learning",
    "paper:p6": "An Isolated Paper",
    "paper:p7": "PPO in MuJoCo, Again",
}


def parity_batch() -> GraphBatch:
    """Seven papers, eleven concepts of every type; p5 has one lonely concept, p6 none."""
    abstracts = {
        "paper:p1": "We propose PPO, a policy gradient method, and evaluate it on MuJoCo and Atari.",
        "paper:p2": "We use proximal policy optimization on the D4RL benchmark for offline "
                    "reinforcement learning.",
        "paper:p3": "We propose the Decision Transformer for offline reinforcement learning, "
                    "evaluated on D4RL and Atari.",
        "paper:p4": "We propose CQL for offline RL and evaluate it on D4RL.",
        "paper:p5": "We review methods for robotic manipulation.",
        "paper:p6": "Nothing in common with the rest.",
        "paper:p7": "We use PPO on MuJoCo tasks and release code.",
    }
    published = {"paper:p1": "2017-07-20", "paper:p2": "2021", "paper:p3": "2021-06-02",
                  "paper:p4": "2020-06-08", "paper:p5": None, "paper:p6": "circa 2019",
                  "paper:p7": "2022-01-01"}
    papers = tuple(
        Paper(id=pid, title=title, abstract=abstracts[pid], published=published[pid],
              authors=("A. Author", "B. Author") if pid == "paper:p1" else ())
        for pid, title in TITLES.items()
    )
    entities = (
        Entity(id=PPO, type=M, name="Proximal Policy Optimization", aliases=("PPO",)),
        Entity(id=DT, type=M, name="Decision Transformer", aliases=("DT",)),
        Entity(id=CQL, type=M, name="Conservative Q-Learning", aliases=("CQL",)),
        Entity(id=D4RL, type=D, name="D4RL"),
        Entity(id=MUJOCO, type=B, name="MuJoCo"),
        Entity(id=ATARI, type=B, name="Atari 2600", aliases=("Atari", "ALE")),
        Entity(id=OFFLINE, type=T, name="offline reinforcement learning",
               aliases=("offline RL",)),
        Entity(id=ROBOT, type=T, name="robotic manipulation"),
        Entity(id=KZL, type=R, name="kzl/decision-transformer"),
        Entity(id=HF, type=R, name="edbeeching/decision-transformer-gym-hopper-medium"),
        Entity(id=BASELINES, type=R, name="openai/baselines"),
    )
    P, U, E, A, H = (RelationType.PROPOSES, RelationType.USES, RelationType.EVALUATES_ON,
                     RelationType.ADDRESSES, RelationType.HAS_CODE)
    edges = [
        ("paper:p1", PPO, P, 2), ("paper:p1", MUJOCO, E, 1), ("paper:p1", ATARI, E, 1),
        ("paper:p1", BASELINES, H, 1),
        ("paper:p2", PPO, U, 1), ("paper:p2", D4RL, E, 1), ("paper:p2", OFFLINE, A, 1),
        ("paper:p3", DT, P, 3), ("paper:p3", D4RL, E, 1), ("paper:p3", ATARI, E, 1),
        ("paper:p3", OFFLINE, A, 1), ("paper:p3", KZL, H, 1), ("paper:p3", HF, H, 1),
        ("paper:p4", CQL, P, 1), ("paper:p4", D4RL, E, 1), ("paper:p4", OFFLINE, A, 1),
        ("paper:p5", ROBOT, A, 1),
        ("paper:p7", PPO, U, 1), ("paper:p7", MUJOCO, E, 1), ("paper:p7", BASELINES, H, 1),
    ]
    relations = [
        Relation(source=s, target=t, type=ty, count=c, evidence=f"{s} mentions {t}")
        for s, t, ty, c in edges
    ]
    related = [
        ("paper:p2", "paper:p4", 0.8, (D4RL, OFFLINE, "term:offline")),
        ("paper:p2", "paper:p3", 0.6, (D4RL, OFFLINE)),
        ("paper:p2", "paper:p1", 0.6, (PPO, "term:policy")),
        ("paper:p1", "paper:p7", 0.9, (PPO, MUJOCO, BASELINES)),
        ("paper:p3", "paper:p4", 0.7, (D4RL, OFFLINE)),
    ]
    relations += [
        Relation(source=s, target=t, type=RelationType.RELATED_TO, weight=w, shared=sh)
        for s, t, w, sh in related
    ]
    return GraphBatch(papers=papers, entities=entities, relations=tuple(relations))


def _t(pid: str) -> str:
    return TITLES[pid]


# (query, params, expected rows) — worked out by hand from parity_batch().
PARITY: list[tuple[str, dict[str, Any], list[list[Any]]]] = [
    # Outgoing RELATED_TO of p2, best first; p1 and p3 tie at 0.6 -> id order.
    ("related_papers", {"paper_id": "paper:p2"}, [
        ["paper:p4", _t("paper:p4"), 0.8, [D4RL, OFFLINE], ["offline"]],
        ["paper:p1", _t("paper:p1"), 0.6, [PPO], ["policy"]],
        ["paper:p3", _t("paper:p3"), 0.6, [D4RL, OFFLINE], []],
    ]),
    ("related_papers", {"paper_id": "paper:p2", "limit": "1"}, [
        ["paper:p4", _t("paper:p4"), 0.8, [D4RL, OFFLINE], ["offline"]],
    ]),
    # RELATED_TO is directed: p7 has none of its own.
    ("related_papers", {"paper_id": "paper:p7"}, []),
    # "ppo" matches PPO's alias case-insensitively; rows by paper id.
    ("papers_by_concept", {"concept": "ppo"}, [
        [PPO, "Proximal Policy Optimization", "PROPOSES", "paper:p1", _t("paper:p1"), "2017-07-20"],
        [PPO, "Proximal Policy Optimization", "USES", "paper:p2", _t("paper:p2"), "2021"],
        [PPO, "Proximal Policy Optimization", "USES", "paper:p7", _t("paper:p7"), "2022-01-01"],
    ]),
    # By id; p5 has no published date.
    ("papers_by_concept", {"concept": ROBOT}, [
        [ROBOT, "robotic manipulation", "ADDRESSES", "paper:p5", _t("paper:p5"), None],
    ]),
    # "Atari" is an alias of "Atari 2600".
    ("papers_by_concept", {"concept": "ATARI", "limit": 1}, [
        [ATARI, "Atari 2600", "EVALUATES_ON", "paper:p1", _t("paper:p1"), "2017-07-20"],
    ]),
    ("papers_by_concept", {"concept": "no such thing"}, []),
    # By relation type, then concept id.
    ("concepts_of_paper", {"paper_id": "paper:p3"}, [
        ["ADDRESSES", OFFLINE, "task", "offline reinforcement learning", 1],
        ["EVALUATES_ON", ATARI, "benchmark", "Atari 2600", 1],
        ["EVALUATES_ON", D4RL, "dataset", "D4RL", 1],
        ["HAS_CODE", KZL, "repo", "kzl/decision-transformer", 1],
        ["HAS_CODE", HF, "repo", "edbeeching/decision-transformer-gym-hopper-medium", 1],
        ["PROPOSES", DT, "method", "Decision Transformer", 3],
    ]),
    ("concepts_of_paper", {"paper_id": "paper:p3", "type": "benchmark"}, [
        ["EVALUATES_ON", ATARI, "benchmark", "Atari 2600", 1],
    ]),
    ("concepts_of_paper", {"paper_id": "paper:p6"}, []),
    # PPO (p1 p2 p7), D4RL and offline RL (p2 p3 p4) have 3 papers; ties by id.
    ("top_concepts", {"limit": 7}, [
        [D4RL, "dataset", "D4RL", 3],
        [PPO, "method", "Proximal Policy Optimization", 3],
        [OFFLINE, "task", "offline reinforcement learning", 3],
        [ATARI, "benchmark", "Atari 2600", 2],
        [MUJOCO, "benchmark", "MuJoCo", 2],
        [BASELINES, "repo", "openai/baselines", 2],
        [CQL, "method", "Conservative Q-Learning", 1],
    ]),
    # Ties by id, not by name: KZL's "kzl/..." sorts after HF's "edbeeching/..." by name.
    ("top_concepts", {"type": "repo"}, [
        [BASELINES, "repo", "openai/baselines", 2],
        [KZL, "repo", "kzl/decision-transformer", 1],
        [HF, "repo", "edbeeching/decision-transformer-gym-hopper-medium", 1],
    ]),
    ("top_concepts", {"type": "method"}, [
        [PPO, "method", "Proximal Policy Optimization", 3],
        [CQL, "method", "Conservative Q-Learning", 1],
        [DT, "method", "Decision Transformer", 1],
    ]),
    # Papers with D4RL: p2 (PPO, offline), p3 (DT, Atari, offline, 2 repos), p4 (CQL, offline).
    ("cooccurring_concepts", {"concept_id": D4RL}, [
        [OFFLINE, "task", "offline reinforcement learning", 3],
        [ATARI, "benchmark", "Atari 2600", 1],
        [CQL, "method", "Conservative Q-Learning", 1],
        [DT, "method", "Decision Transformer", 1],
        [PPO, "method", "Proximal Policy Optimization", 1],
        [KZL, "repo", "kzl/decision-transformer", 1],
        [HF, "repo", "edbeeching/decision-transformer-gym-hopper-medium", 1],
    ]),
    ("cooccurring_concepts", {"concept_id": D4RL, "type": "method", "limit": 2}, [
        [CQL, "method", "Conservative Q-Learning", 1],
        [DT, "method", "Decision Transformer", 1],
    ]),
    ("cooccurring_concepts", {"concept_id": ROBOT}, []),
    # Repos sorted inside the list.
    ("papers_with_code", {}, [
        ["paper:p1", _t("paper:p1"), [BASELINES]],
        ["paper:p3", _t("paper:p3"), [KZL, HF]],
        ["paper:p7", _t("paper:p7"), [BASELINES]],
    ]),
    ("papers_with_code", {"concept_id": PPO}, [
        ["paper:p1", _t("paper:p1"), [BASELINES]],
        ["paper:p7", _t("paper:p7"), [BASELINES]],
    ]),
    # p2 and p3 share D4RL and offline RL: two paths of length 2, ordered by ids.
    ("path_between_papers", {"source": "paper:p2", "target": "paper:p3"}, [
        [2, ["paper:p2", D4RL, "paper:p3"], [_t("paper:p2"), "D4RL", _t("paper:p3")]],
        [2, ["paper:p2", OFFLINE, "paper:p3"],
         [_t("paper:p2"), "offline reinforcement learning", _t("paper:p3")]],
    ]),
    # p7 reaches p4 only through p2 (PPO), then D4RL or offline RL.
    ("path_between_papers", {"source": "paper:p7", "target": "paper:p4"}, [
        [4, ["paper:p7", PPO, "paper:p2", D4RL, "paper:p4"],
         [_t("paper:p7"), "Proximal Policy Optimization", _t("paper:p2"), "D4RL", _t("paper:p4")]],
        [4, ["paper:p7", PPO, "paper:p2", OFFLINE, "paper:p4"],
         [_t("paper:p7"), "Proximal Policy Optimization", _t("paper:p2"),
          "offline reinforcement learning", _t("paper:p4")]],
    ]),
    ("path_between_papers", {"source": "paper:p7", "target": "paper:p4", "limit": 1}, [
        [4, ["paper:p7", PPO, "paper:p2", D4RL, "paper:p4"],
         [_t("paper:p7"), "Proximal Policy Optimization", _t("paper:p2"), "D4RL", _t("paper:p4")]],
    ]),
    ("path_between_papers", {"source": "paper:p5", "target": "paper:p1"}, []),
    ("path_between_papers", {"source": "paper:p1", "target": "paper:p1"}, []),
    ("path_between_papers", {"source": "paper:nope", "target": "paper:p1"}, []),
    # PPO on MuJoCo in p1 and p7; every other pair once.
    ("method_benchmark_matrix", {}, [
        [PPO, "Proximal Policy Optimization", MUJOCO, "benchmark", "MuJoCo", 2],
        [CQL, "Conservative Q-Learning", D4RL, "dataset", "D4RL", 1],
        [DT, "Decision Transformer", ATARI, "benchmark", "Atari 2600", 1],
        [DT, "Decision Transformer", D4RL, "dataset", "D4RL", 1],
        [PPO, "Proximal Policy Optimization", ATARI, "benchmark", "Atari 2600", 1],
        [PPO, "Proximal Policy Optimization", D4RL, "dataset", "D4RL", 1],
    ]),
    ("method_benchmark_matrix", {"min_papers": "2"}, [
        [PPO, "Proximal Policy Optimization", MUJOCO, "benchmark", "MuJoCo", 2],
    ]),
    # p6's "circa 2019" and p5's missing date do not count; p2's bare year does.
    ("concept_timeline", {"concept_id": D4RL}, [
        [D4RL, "D4RL", 2020, 1],
        [D4RL, "D4RL", 2021, 2],
    ]),
    ("concept_timeline", {"type": "method"}, [
        [CQL, "Conservative Q-Learning", 2020, 1],
        [DT, "Decision Transformer", 2021, 1],
        [PPO, "Proximal Policy Optimization", 2017, 1],
        [PPO, "Proximal Policy Optimization", 2021, 1],
        [PPO, "Proximal Policy Optimization", 2022, 1],
    ]),
    ("concept_timeline", {"concept_id": ROBOT}, []),
]

# Full-text searches: ids in rank order, chosen so that any BM25 variant (Lucene scores title
# and abstract as separate fields, the embedded one their concatenation) ranks them the same;
# the score values themselves are backend-specific and only checked to be positive, descending.
SEARCH: list[tuple[str, dict[str, Any], list[str]]] = [
    # p7 says MuJoCo in its title and abstract, p1 once in its abstract.
    ("search_papers", {"query": "mujoco"}, ["paper:p7", "paper:p1"]),
    ("search_papers", {"query": "MuJoCo", "limit": 1}, ["paper:p7"]),
    ("search_papers", {"query": "conservative"}, ["paper:p4"]),
    ("search_papers", {"query": "zebra"}, []),
    ("search_concepts", {"query": "ppo"}, [PPO]),
    ("search_concepts", {"query": "transformer", "type": "method"}, [DT]),
    # Both words: DT's two-word name first; then the repo names, the shorter one first.
    ("search_concepts", {"query": "decision transformer"}, [DT, KZL, HF]),
]


# -- backends -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path_factory.mktemp("parity") / "kg.db")
    store.write_batch(parity_batch())
    yield store
    store.close()


@pytest.fixture(scope="module")
def neo4j_store() -> Iterator[Any]:
    if not os.environ.get("NEO4J_URI"):
        pytest.skip("NEO4J_URI is not set: no Neo4j server to run the parity suite against")
    from kg.store.neo4j import Neo4jStore

    store = Neo4jStore.connect()
    (count,), = store.run_cypher("MATCH (n) RETURN count(n) AS n")[1]
    if count and os.environ.get("KG_NEO4J_TEST_WIPE") != "1":
        store.close()
        pytest.skip(f"the Neo4j database at {store.uri} holds {count} nodes; the parity suite "
                    "needs an empty one (set KG_NEO4J_TEST_WIPE=1 to let it clear the database)")
    _wipe(store)
    store.write_batch(parity_batch())
    yield store
    _wipe(store)
    store.close()


def _wipe(store: Any) -> None:
    with store._session() as session:
        session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS").consume()


BACKENDS = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(f"{request.param}_store")


# -- parity ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "params", "expected"), PARITY,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(PARITY)])
def test_queries_parity(backend: Any, name: str, params: dict[str, Any],
                        expected: list[list[Any]]) -> None:
    result = run_query(name, params, backend)
    assert result.columns == get_query(name).columns
    assert result.rows == expected


@pytest.mark.parametrize(("name", "params", "expected_ids"), SEARCH,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SEARCH)])
def test_queries_search_parity(backend: Any, name: str, params: dict[str, Any],
                               expected_ids: list[str]) -> None:
    result = run_query(name, params, backend)
    assert [row[0] for row in result.rows] == expected_ids
    scores = [row[-1] for row in result.rows]
    assert all(isinstance(s, float) and s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_queries_parity_covers_every_query() -> None:
    covered = {name for name, _, _ in PARITY} | {name for name, _, _ in SEARCH}
    assert covered == {q.name for q in list_queries()}


def test_queries_search_ranks_by_term_frequency(backend: Any) -> None:
    # "offline": twice in p2 and p4 (title and abstract), once in p3 (abstract only).
    rows = run_query("search_papers", {"query": "offline"}, backend).rows
    assert sorted(r[0] for r in rows[:2]) == ["paper:p2", "paper:p4"]
    assert [r[:2] for r in rows[2:]] == [["paper:p3", _t("paper:p3")]]


# -- registry -------------------------------------------------------------------------------------
REQUIRED = {
    "related_papers", "papers_by_concept", "concepts_of_paper", "top_concepts",
    "cooccurring_concepts", "papers_with_code", "path_between_papers", "method_benchmark_matrix",
    "search_papers", "concept_timeline",
}


def test_queries_registry_matches_files() -> None:
    files = {p.stem for p in QUERIES_DIR.glob("*.cypher")}
    assert files == set(EMBEDDED)
    assert files == {q.name for q in list_queries()}
    assert REQUIRED <= files


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_queries_header_is_complete(query: Any) -> None:
    assert query.description and query.columns
    assert "$" not in query.description
    # Every declared parameter is used, and every $parameter is declared.
    used = set(re.findall(r"\$([A-Za-z_]\w*)", query.cypher))
    assert used == {p.name for p in query.params}
    assert not re.search(r"^//\s*(name|description|params|columns):", query.cypher, re.M)


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_queries_file_holds_one_statement(query: Any) -> None:
    body = "\n".join(l for l in query.cypher.splitlines() if not l.lstrip().startswith("//"))
    assert ";" not in body.rstrip().rstrip(";")
    assert body.lstrip().split()[0] in ("MATCH", "CALL", "WITH")
    assert not re.search(r"\b(CREATE|MERGE|DELETE|SET|REMOVE)\b", body)  # read-only


def test_queries_list_is_sorted_with_descriptions() -> None:
    names = [q.name for q in list_queries()]
    assert names == sorted(names)
    assert get_query("related_papers").signature() == "related_papers(paper_id: str, limit: int = 10)"


def test_queries_bind_types_and_defaults() -> None:
    q = get_query("cooccurring_concepts")
    assert q.bind({"concept_id": "x", "limit": "5"}) == {"concept_id": "x", "type": None, "limit": 5}
    assert q.bind({"concept_id": "x", "type": "method", "limit": 3}) == {
        "concept_id": "x", "type": "method", "limit": 3}


@pytest.mark.parametrize(("name", "params", "message"), [
    ("nope", {}, "unknown query 'nope' — `kg query --list` shows the"),
    ("related_papers", {}, "query related_papers: parameter paper_id (str) is required — "
                           "pass -p paper_id=VALUE"),
    ("related_papers", {"paper_id": "x", "k": "3"},
     "query related_papers: unknown parameter k — its parameters: paper_id, limit"),
    ("related_papers", {"paper_id": "x", "limit": "ten"},
     "query related_papers: parameter limit must be int (got 'ten')"),
    ("related_papers", {"paper_id": "x", "limit": True},
     "query related_papers: parameter limit must be int (got bool True)"),
    ("related_papers", {"paper_id": "x", "limit": "-1"},
     "query related_papers: parameter limit must be >= 0"),
    ("related_papers", {"paper_id": None}, "query related_papers: parameter paper_id must not be null"),
    ("top_concepts", {"type": "methods"}, "query top_concepts: parameter type must be one of "
                                          "method, dataset, benchmark, task, repo (got 'methods')"),
])
def test_queries_bad_parameters_are_one_line_errors(sqlite_store: SQLiteStore, name: str,
                                                    params: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryError) as info:
        run_query(name, params, sqlite_store)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ("// name: broken\n// description: d\n// columns: a\nRETURN 1 AS a\n",
     "broken.cypher:1: header line '// params:' is missing"),
    ("// name: other\n// description: d\n// params: \n// columns: a\nRETURN 1 AS a\n",
     "broken.cypher:1: name 'other' must equal the file name"),
    ("// name: broken\n// description: d\n// params: limit: integer\n// columns: a\nRETURN 1\n",
     "broken.cypher:3: cannot parse params at 'limit: integer'"),
    ("// name: broken\n// description: d\n// params: limit: int = ten\n// columns: a\nRETURN 1\n",
     "broken.cypher:3: default 'ten' is not a JSON literal"),
])
def test_queries_malformed_header_names_file_and_line(tmp_path: Path, text: str,
                                                      message: str) -> None:
    path = tmp_path / "broken.cypher"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QueryError) as info:
        parse_query_file(path)
    assert str(info.value).startswith(f"{path.parent}/{message}")


def test_queries_header_parses_defaults(tmp_path: Path) -> None:
    path = tmp_path / "ok.cypher"
    path.write_text('// name: ok\n// description: d\n// params: q: str = "a, b", n: float = 1, '
                    "f: bool = false, t: str = null\n// columns: a, b\nRETURN 1 AS a, 2 AS b\n",
                    encoding="utf-8")
    query = parse_query_file(path)
    assert [(p.name, p.type, p.default, p.required) for p in query.params] == [
        ("q", "str", "a, b", False), ("n", "float", 1.0, False), ("f", "bool", False, False),
        ("t", "str", None, False)]
    assert query.columns == ("a", "b")
    assert query.cypher == "RETURN 1 AS a, 2 AS b"
    assert query.bind({"f": "yes", "n": "2.5"}) == {"q": "a, b", "n": 2.5, "f": True, "t": None}


class FakeNeo4j:
    """Records what run_query sends to a Neo4j store."""

    def __init__(self, columns: list[str], rows: list[list[Any]]) -> None:
        self.columns, self.rows, self.calls = columns, rows, []

    def run_cypher(self, statement: str, params: dict[str, Any]) -> tuple[list[str], list[Any]]:
        self.calls.append((statement, params))
        return self.columns, self.rows


def test_queries_run_on_neo4j_sends_file_statement_and_typed_params() -> None:
    q = get_query("top_concepts")
    fake = FakeNeo4j(list(q.columns), [["method:x", "method", "X", 2]])
    result = run_query("top_concepts", {"limit": "2"}, fake)
    assert fake.calls == [(q.cypher, {"type": None, "limit": 2})]
    assert result.to_dicts() == [{"concept_id": "method:x", "type": "method", "name": "X",
                                  "papers": 2}]


def test_queries_neo4j_column_drift_is_an_error() -> None:
    fake = FakeNeo4j(["id"], [])
    with pytest.raises(QueryError, match="returns columns"):
        run_query("top_concepts", {}, fake)


def test_queries_reject_non_store() -> None:
    with pytest.raises(QueryError, match="is not a kg store"):
        run_query("top_concepts", {}, object())
