"""Pure, deterministic construction of the graph: papers, concepts, and the edges between them.

Example:
    >>> from kg.models import Paper, PaperConcepts, PaperEntity, EntityType
    >>> paper = Paper(id="paper:a", title="PPO for robots")
    >>> ppo = PaperEntity(id="method:ppo", type=EntityType.METHOD, name="PPO", proposed=True)
    >>> batch = build_graph([paper], [PaperConcepts(id="paper:a", title=paper.title, entities=(ppo,))])
    >>> [(r.source, r.type.value, r.target) for r in batch.relations]
    [('paper:a', 'PROPOSES', 'method:ppo')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx

from kg.models import (
    RELATION_FOR_TYPE,
    Entity,
    EntityType,
    GraphBatch,
    Paper,
    PaperConcepts,
    Relation,
    RelationType,
)

PAPER_LABEL = "Paper"


def concept_relation(entity_type: EntityType, proposed: bool) -> RelationType:
    """The paper->concept relationship type: PROPOSES for a method the paper introduces."""
    if proposed and entity_type is EntityType.METHOD:
        return RelationType.PROPOSES
    return RELATION_FOR_TYPE[entity_type]


def build_graph(
    papers: Sequence[Paper],
    concepts: Sequence[PaperConcepts],
    related: Mapping[str, Sequence[Relation]] | None = None,
) -> GraphBatch:
    """Build the graph batch from papers, their canonical concepts and related-paper links.

    Args:
        papers: Every paper of the graph.
        concepts: Canonical entities per paper (from :func:`kg.canonical.canonicalize`).
        related: Paper id -> its RELATED_TO relations (from :mod:`kg.related`).

    Returns:
        A batch with papers (links attached), entities and relations, each sorted by id.
    """
    by_paper = {pc.id: pc for pc in concepts}
    entities: dict[str, Entity] = {}
    aliases: dict[str, set[str]] = {}
    relations: list[Relation] = []
    out_papers = []
    for paper in papers:
        pc = by_paper.get(paper.id)
        if pc is None:
            out_papers.append(paper)
            continue
        out_papers.append(paper.model_copy(update={"links": tuple(sorted(set(pc.links)))}))
        for ent in pc.entities:
            if ent.id not in entities:
                entities[ent.id] = Entity(id=ent.id, type=ent.type, name=ent.name)
                aliases[ent.id] = set()
            aliases[ent.id].update(a for a in ent.aliases if a != entities[ent.id].name)
            evidence = ent.mentions[0].sentence if ent.mentions else None
            relations.append(
                Relation(
                    source=paper.id, target=ent.id, type=concept_relation(ent.type, ent.proposed),
                    weight=round(ent.confidence, 4), count=max(1, len(ent.mentions)),
                    evidence=evidence or None,
                )
            )
    for rels in (related or {}).values():
        relations.extend(rels)
    final_entities = [
        e.model_copy(update={"aliases": tuple(sorted(aliases[e.id]))}) for e in entities.values()
    ]
    return sort_batch(GraphBatch(papers=tuple(out_papers), entities=tuple(final_entities),
                                 relations=tuple(relations)))


def sort_batch(batch: GraphBatch) -> GraphBatch:
    """The batch with papers and entities sorted by id, relations by (source, type, target).

    Everything written from a sorted batch is deterministic, whatever order it was built in.
    """
    return GraphBatch(
        papers=tuple(sorted(batch.papers, key=lambda p: p.id)),
        entities=tuple(sorted(batch.entities, key=lambda e: e.id)),
        relations=tuple(sorted(batch.relations, key=lambda r: (r.source, r.type.value, r.target))),
    )


def to_networkx(batch: GraphBatch) -> nx.MultiDiGraph:
    """The batch as a networkx multigraph (node ids = record ids, edge keys = relation types).

    Node attributes: ``label`` (``Paper``, ``Method``...), ``name`` (the title for papers) and
    the record's fields; edge attributes: the relation's fields. Nodes and edges are added in
    sorted order, so anything written from the graph is deterministic.
    """
    graph = nx.MultiDiGraph()
    for p in batch.papers:
        attrs = p.model_dump(mode="json")
        attrs.update(label=PAPER_LABEL, name=p.title)
        graph.add_node(p.id, **attrs)
    for e in batch.entities:
        attrs = e.model_dump(mode="json")
        attrs["label"] = e.type.label
        graph.add_node(e.id, **attrs)
    for r in batch.relations:
        graph.add_edge(r.source, r.target, key=r.type.value, **r.model_dump(mode="json"))
    return graph
