"""Against a live Neo4j 5 server (``pytest -m neo4j`` with NEO4J_URI, NEO4J_PASSWORD set; e.g.
``docker compose -f docker/docker-compose.yml up -d``), plus static checks of docker/.

The live tests need an empty database (they skip with the reason otherwise), or
KG_NEO4J_TEST_WIPE=1 to let them clear it. The named-query parity suite against Neo4j lives in
tests/test_queries.py (same marker).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.errors import StoreError
from kg.models import Entity, EntityType, GraphBatch, Paper, Relation, RelationType
from kg.store.neo4j import NODE_LABELS, Neo4jSettings, Neo4jStore

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"


# -- live server -------------------------------------------------------------------------------------
@pytest.fixture
def live() -> Iterator[Neo4jStore]:
    if not os.environ.get("NEO4J_URI"):
        pytest.skip("NEO4J_URI is not set: no Neo4j server for the integration tests")
    store = Neo4jStore.connect(batch_size=2)
    count = _scalar(store, "MATCH (n) RETURN count(n) AS n")
    if count and os.environ.get("KG_NEO4J_TEST_WIPE") != "1":
        store.close()
        pytest.skip(f"the Neo4j database at {store.uri} holds {count} nodes; these tests need an "
                    "empty one (set KG_NEO4J_TEST_WIPE=1 to let them clear it)")
    _wipe(store)
    yield store
    _wipe(store)
    store.close()


def _scalar(store: Neo4jStore, statement: str, **params: Any) -> Any:
    return store.run_cypher(statement, params)[1][0][0]


def _wipe(store: Neo4jStore) -> None:
    with store._session() as session:
        session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS").consume()


def _batch() -> GraphBatch:
    return GraphBatch(
        papers=(
            Paper(id="paper:a", title="PPO for robots", abstract="We propose PPO-R.",
                  authors=("A. One", "B. Two"), published="2023-05-01"),
            Paper(id="paper:b", title="Offline RL on D4RL", abstract="We use PPO on D4RL."),
            Paper(id="paper:c", title="Unrelated", abstract="Nothing here."),
        ),
        entities=(
            Entity(id="method:ppo", type=EntityType.METHOD, name="PPO",
                   aliases=("Proximal Policy Optimization",)),
            Entity(id="dataset:d4rl", type=EntityType.DATASET, name="D4RL"),
            Entity(id="repo:github:o/n", type=EntityType.REPO, name="o/n"),
        ),
        relations=(
            Relation(source="paper:a", target="method:ppo", type=RelationType.PROPOSES),
            Relation(source="paper:b", target="method:ppo", type=RelationType.USES, count=2),
            Relation(source="paper:b", target="dataset:d4rl", type=RelationType.EVALUATES_ON),
            Relation(source="paper:a", target="repo:github:o/n", type=RelationType.HAS_CODE),
            Relation(source="paper:a", target="paper:b", type=RelationType.RELATED_TO,
                     weight=0.5, shared=("method:ppo", "term:ppo")),
        ),
    )


@pytest.mark.neo4j
def test_neo4j_integration_schema_is_idempotent(live: Neo4jStore) -> None:
    assert live.init_schema() == live.init_schema()
    constraints = {r[0] for r in live.run_cypher("SHOW CONSTRAINTS YIELD name RETURN name")[1]}
    assert {f"{label.lower()}_id" for label in NODE_LABELS} <= constraints
    fulltext = live.run_cypher(
        "SHOW INDEXES YIELD name, type, state WHERE type = 'FULLTEXT' RETURN name, state")[1]
    assert sorted(fulltext) == [["concept_names", "ONLINE"], ["paper_text", "ONLINE"]]


@pytest.mark.neo4j
def test_neo4j_integration_load_twice_changes_nothing(live: Neo4jStore) -> None:
    first = live.write_batch(_batch())
    assert first["nodes_created"] == 6 and first["relationships_created"] == 5
    assert first["relations_skipped"] == 0
    second = live.write_batch(_batch())
    assert second["nodes_created"] == 0 and second["relationships_created"] == 0
    assert _scalar(live, "MATCH (n) RETURN count(n) AS n") == 6
    assert _scalar(live, "MATCH ()-[r]->() RETURN count(r) AS n") == 5
    # Lists are native lists; the uniqueness constraint forbids a duplicate id.
    assert _scalar(live, "MATCH (m:Method {id: $id}) RETURN m.aliases AS a", id="method:ppo") == [
        "Proximal Policy Optimization"]
    assert _scalar(live, "MATCH (:Paper {id: 'paper:a'})-[r:RELATED_TO]->() RETURN r.shared AS s"
                   ) == ["method:ppo", "term:ppo"]
    with pytest.raises(Exception):
        with live._session() as session:
            session.run("CREATE (:Paper {id: 'paper:a'})").consume()


@pytest.mark.neo4j
def test_neo4j_integration_new_papers_add_only_what_is_new(live: Neo4jStore) -> None:
    live.write_batch(_batch())
    extra = GraphBatch(
        papers=(Paper(id="paper:d", title="D4RL again", abstract="D4RL."),),
        relations=(Relation(source="paper:d", target="dataset:d4rl",
                            type=RelationType.EVALUATES_ON),),
    )
    counts = live.write_batch(extra)
    assert counts["nodes_created"] == 1 and counts["relationships_created"] == 1


@pytest.mark.neo4j
def test_neo4j_integration_prune_mirrors_the_new_batch(live: Neo4jStore) -> None:
    live.write_batch(_batch())
    later = GraphBatch(
        papers=_batch().papers[:1],
        entities=_batch().entities[:1],
        relations=(Relation(source="paper:a", target="method:ppo", type=RelationType.PROPOSES),),
    )
    live.write_batch(later)
    counts = live.prune(later)
    assert counts["nodes_deleted"] == len(_batch().papers) - 1 + len(_batch().entities) - 1
    assert _scalar(live, "MATCH (n) RETURN count(n) AS n") == 2
    assert _scalar(live, "MATCH ()-[r]->() RETURN count(r) AS n") == 1
    assert live.prune(later) == {"nodes_deleted": 0, "relationships_deleted": 0}


@pytest.mark.neo4j
def test_neo4j_integration_wrong_password(live: Neo4jStore) -> None:
    settings = Neo4jSettings.from_env()
    wrong = settings.password + "-wrong"
    with pytest.raises(StoreError) as info:
        Neo4jStore(Neo4jSettings(settings.uri, settings.username, wrong, settings.database))
    assert "rejected the credentials" in str(info.value) and wrong not in str(info.value)


# -- docker/ -------------------------------------------------------------------------------------------
def test_neo4j_integration_compose_file() -> None:
    text = (DOCKER / "docker-compose.yml").read_text(encoding="utf-8")
    assert re.search(r"image: neo4j:5(\.\d+)*-community", text)
    assert re.search(r'"\$\{NEO4J_HTTP_PORT:-7474\}:7474"', text)
    assert re.search(r'"\$\{NEO4J_BOLT_PORT:-7687\}:7687"', text)
    assert re.search(r"- neo4j-data:/data", text)
    assert "cypher-shell" in text and "healthcheck:" in text
    assert 'NEO4J_AUTH: "neo4j/${NEO4J_PASSWORD' in text
    assert "env_file:" not in text  # the image would turn NEO4J_* variables into config settings


def test_neo4j_integration_env_example_and_gitignore() -> None:
    env = dict(
        line.split("=", 1)
        for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert set(env) == {"NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"}
    assert len(env["NEO4J_PASSWORD"]) >= 8
    assert "docker/.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_neo4j_integration_grass_styles_every_label() -> None:
    text = (DOCKER / "kg.grass").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"^(node\.\w+|relationship\.\w+)\s*\{(.*?)^\}", text, re.M | re.S))
    for label in NODE_LABELS:
        body = blocks[f"node.{label}"]
        assert re.search(r"^\s*color: #[0-9A-Fa-f]{6};", body, re.M)
        caption = re.search(r'caption: "\{(\w+)\}";', body)
        assert caption and caption.group(1) == ("title" if label == "Paper" else "name")
    for rel in RelationType:
        assert f"relationship.{rel.value}" in blocks
    colours = [re.search(r"^\s*color: (#\w+);", blocks[f"node.{label}"], re.M).group(1)
               for label in NODE_LABELS]
    assert len(set(colours)) == len(NODE_LABELS)
