"""Graph construction is pure and deterministic; relation types follow the entity type."""

from __future__ import annotations

import pytest

from kg.graph import build_graph, concept_relation, to_networkx
from kg.models import (
    EntityType,
    MentionRef,
    Paper,
    PaperConcepts,
    PaperEntity,
    Relation,
    RelationType,
)


@pytest.mark.parametrize(
    ("type_", "proposed", "rel"),
    [
        (EntityType.METHOD, True, RelationType.PROPOSES),
        (EntityType.METHOD, False, RelationType.USES),
        (EntityType.DATASET, True, RelationType.EVALUATES_ON),
        (EntityType.BENCHMARK, False, RelationType.EVALUATES_ON),
        (EntityType.TASK, False, RelationType.ADDRESSES),
        (EntityType.REPO, False, RelationType.HAS_CODE),
    ],
)
def test_graph_concept_relation(type_: EntityType, proposed: bool, rel: RelationType) -> None:
    assert concept_relation(type_, proposed) is rel


def _pc(pid: str, *ents: PaperEntity, links: tuple[str, ...] = ()) -> PaperConcepts:
    return PaperConcepts(id=pid, title=pid, entities=ents, links=links)


def _ent(eid: str, type_: EntityType, name: str, aliases: tuple[str, ...] = (), **kw: object) -> PaperEntity:
    ref = MentionRef(field="abstract", start=0, end=len(name), text=name, sentence=f"About {name}.")
    return PaperEntity(id=eid, type=type_, name=name, aliases=aliases, mentions=(ref, ref), **kw)


def test_graph_build_edges_and_entities() -> None:
    papers = [Paper(id="paper:b", title="B"), Paper(id="paper:a", title="A")]
    concepts = [
        _pc("paper:a", _ent("method:x", EntityType.METHOD, "X", ("XX",), proposed=True),
            links=("https://x.github.io",)),
        _pc("paper:b", _ent("method:x", EntityType.METHOD, "X", ("X-net",)),
            _ent("dataset:d", EntityType.DATASET, "D")),
    ]
    related = {"paper:a": [Relation(source="paper:a", target="paper:b",
                                    type=RelationType.RELATED_TO, weight=0.3, shared=("method:x",))]}
    batch = build_graph(papers, concepts, related)
    assert [p.id for p in batch.papers] == ["paper:a", "paper:b"]
    assert batch.papers[0].links == ("https://x.github.io",)
    assert [(e.id, e.aliases) for e in batch.entities] == [
        ("dataset:d", ()), ("method:x", ("X-net", "XX"))]
    edges = [(r.source, r.type.value, r.target, r.count) for r in batch.relations]
    assert edges == [
        ("paper:a", "PROPOSES", "method:x", 2),
        ("paper:a", "RELATED_TO", "paper:b", 1),
        ("paper:b", "EVALUATES_ON", "dataset:d", 2),
        ("paper:b", "USES", "method:x", 2),
    ]
    assert batch.relations[0].evidence == "About X."


def test_graph_build_is_deterministic() -> None:
    papers = [Paper(id=f"paper:{i}", title=str(i)) for i in range(5)]
    concepts = [_pc(p.id, _ent("task:t", EntityType.TASK, "t")) for p in papers]
    assert build_graph(papers, concepts) == build_graph(list(reversed(papers)), list(reversed(concepts)))


def test_graph_to_networkx(tiny_batch) -> None:
    g = to_networkx(tiny_batch)
    assert g.number_of_nodes() == 6
    assert g.number_of_edges() == 5
    assert g.nodes["paper:a"]["label"] == "Paper"
    assert g.nodes["method:proximal-policy-optimization"]["label"] == "Method"
    assert g.nodes["method:proximal-policy-optimization"]["aliases"] == ["PPO"]
    assert g.edges["paper:a", "paper:b", "RELATED_TO"]["shared"] == [
        "method:proximal-policy-optimization", "term:ppo"]
