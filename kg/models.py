"""Typed records that flow through kg: readers -> extractor -> canonicalizer -> graph -> stores.

Every record is a frozen pydantic model without I/O. Property names equal the Neo4j property keys,
so ``model_dump()`` rows go straight into ``UNWIND $rows``. The JSON Schemas in ``schemas/`` are
generated from these models (``python -m kg.schema``) and a test fails when they drift.

Example:
    >>> from kg.models import Paper, EntityType, entity_id
    >>> Paper(id="paper:1", title="PPO", abstract="We study PPO.").title
    'PPO'
    >>> entity_id(EntityType.METHOD, "Proximal Policy Optimization")
    'method:proximal-policy-optimization'
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class EntityType(str, Enum):
    """The kinds of concept kg extracts from an abstract."""

    METHOD = "method"
    DATASET = "dataset"
    BENCHMARK = "benchmark"
    TASK = "task"
    REPO = "repo"

    @property
    def label(self) -> str:
        """Neo4j / GraphML node label, e.g. ``Method``."""
        return self.value.capitalize()


class RelationType(str, Enum):
    """Relationship types of the graph (Neo4j relationship types, UPPER_SNAKE)."""

    PROPOSES = "PROPOSES"
    USES = "USES"
    EVALUATES_ON = "EVALUATES_ON"
    ADDRESSES = "ADDRESSES"
    HAS_CODE = "HAS_CODE"
    RELATED_TO = "RELATED_TO"


class LinkKind(str, Enum):
    """What a URL found in an abstract points at (see the annotation guidelines)."""

    CODE = "code"
    MODEL = "model"
    DATASET = "dataset"
    PROJECT_PAGE = "project_page"
    VIDEO = "video"
    OTHER = "other"


Field_ = Literal["title", "abstract"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paper(_Record):
    """One paper as read from an input file."""

    id: str = Field(description="Stable id, e.g. 'arxiv:2409.00588' or 'hf-policy-045'.")
    title: str = ""
    abstract: str = ""
    url: str | None = None
    arxiv_id: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = Field(default=None, description="ISO date (YYYY-MM-DD) or year.")
    source: str | None = Field(default=None, description="Where it was read: 'file:line'.")
    links: tuple[str, ...] = Field(
        default=(), description="URLs the extractor found in the text (project pages, videos, code)."
    )


class Link(_Record):
    """A URL found in a paper's title or abstract, normalized."""

    url: str
    kind: LinkKind
    field: Field_ = "abstract"
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str = Field(description="The URL exactly as written (text[start:end]).")


class Mention(_Record):
    """A span of a paper's title or abstract that names a concept.

    ``text == paper.<field>[start:end]`` always holds.
    """

    text: str
    type: EntityType
    field: Field_
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    sentence: str = ""
    rule: str = Field(description="Which extractor rule found it, e.g. 'gazetteer', 'abbrev'.")
    proposed: bool = False
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    canonical: str | None = Field(
        default=None, description="Canonical name known to the rule (gazetteer entry), if any."
    )


class Abbreviation(_Record):
    """A short form defined in the text, e.g. 'PPO' for 'Proximal Policy Optimization'."""

    short: str
    long: str


class Extraction(_Record):
    """Everything the extractor found in one paper (before canonicalization)."""

    paper_id: str
    mentions: tuple[Mention, ...] = ()
    abbreviations: tuple[Abbreviation, ...] = ()
    links: tuple[Link, ...] = ()


class Entity(_Record):
    """A canonical concept node: one per concept across the corpus."""

    id: str = Field(description="'method:proximal-policy-optimization', 'repo:github:owner/name'.")
    type: EntityType
    name: str
    aliases: tuple[str, ...] = ()


class MentionRef(_Record):
    """Where a paper names an entity (the ``mentions`` of ``kg extract`` output)."""

    field: Field_
    start: int
    end: int
    text: str
    sentence: str = ""


class PaperEntity(_Record):
    """One canonical entity as it occurs in one paper (a line item of ``kg extract``)."""

    id: str
    type: EntityType
    name: str
    aliases: tuple[str, ...] = ()
    proposed: bool = False
    confidence: float = 1.0
    mentions: tuple[MentionRef, ...] = ()


class PaperConcepts(_Record):
    """One line of ``kg extract`` output: a paper and its canonical entities."""

    id: str
    title: str
    entities: tuple[PaperEntity, ...] = ()
    links: tuple[str, ...] = ()


class Relation(_Record):
    """An edge. Paper->concept edges carry evidence; RELATED_TO edges carry the shared concepts."""

    source: str
    target: str
    type: RelationType
    weight: float = 1.0
    count: int = Field(default=1, description="Mentions behind a paper->concept edge.")
    evidence: str | None = Field(default=None, description="A sentence that supports the edge.")
    shared: tuple[str, ...] = Field(
        default=(), description="RELATED_TO: shared concept ids and terms that explain the score."
    )

    @field_validator("weight")
    @classmethod
    def _positive_zero(cls, value: float) -> float:
        # SQLite stores -0.0 as 0.0: one spelling, so exports from memory and from the store agree.
        return value + 0.0


class GraphBatch(_Record):
    """Nodes and edges ready for a store or an exporter."""

    papers: tuple[Paper, ...] = ()
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()


_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Lower-case ASCII slug: 'Proximal Policy Optimisation' -> 'proximal-policy-optimisation'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", ascii_text.lower()).strip("-")


def entity_id(type_: EntityType, name: str) -> str:
    """Canonical id of a concept of ``type_`` named ``name`` (repos use :func:`repo_id`)."""
    return f"{type_.value}:{slug(name)}"


RELATION_FOR_TYPE: dict[EntityType, RelationType] = {
    EntityType.METHOD: RelationType.USES,
    EntityType.DATASET: RelationType.EVALUATES_ON,
    EntityType.BENCHMARK: RelationType.EVALUATES_ON,
    EntityType.TASK: RelationType.ADDRESSES,
    EntityType.REPO: RelationType.HAS_CODE,
}
"""The paper->concept relationship for each entity type (PROPOSES replaces USES when proposed)."""
