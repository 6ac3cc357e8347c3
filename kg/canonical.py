"""One concept, one node: resolve mentions to canonical entities across the corpus.

An :class:`AliasIndex` is built once from the curated resources and the abbreviations every
paper defines (like scispacy's KnowledgeBase). Resolution is type-aware (a method and a dataset
with the same name stay apart) and long forms resolve before short forms: a paper's own
definition of an acronym wins, then the resources, then the definition most papers use.

Example:
    >>> normalize("Proximal Policy Optimisations")
    'proximal policy optimization'
    >>> normalize("LLMs")
    'llm'
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg.models import (
    EntityType,
    Extraction,
    LinkKind,
    Mention,
    MentionRef,
    Paper,
    PaperConcepts,
    PaperEntity,
    slug,
)

_DASHES = re.compile(r"[\u2010-\u2015\-_/]+")
_SPACES = re.compile(r"\s+")
_QUOTES = re.compile(r"[\"'`\u2018\u2019\u201c\u201d]")
# British -> American spellings that matter in ML names (optimisation, regularisation, ...).
# Suffix rules like "-ise" are left out on purpose: they would turn "noise" into "noize".
_BRITISH = ((re.compile(r"isation\b"), "ization"), (re.compile(r"iser\b"), "izer"),
            (re.compile(r"behaviour"), "behavior"), (re.compile(r"modelling"), "modeling"),
            (re.compile(r"labelling"), "labeling"))
_NO_SINGULAR = ("ss", "us", "is", "ics", "sis", "ous")


def _singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(_NO_SINGULAR) or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1]


@lru_cache(maxsize=500_000)
def normalize(text: str) -> str:
    """Matching key of a name: case, hyphens, quotes, British spelling and plural folded.

    Args:
        text: A surface form such as "Diffusion-Policies".

    Returns:
        The key, e.g. "diffusion policy".
    """
    text = unicodedata.normalize("NFKC", text)
    text = _QUOTES.sub("", text)
    text = _SPACES.sub(" ", _DASHES.sub(" ", text.lower())).strip()
    words = text.split(" ")
    if words and words[-1]:
        words[-1] = _singular(words[-1])
    text = " ".join(words)
    for pattern, repl in _BRITISH:
        if pattern.search(text):
            text = pattern.sub(repl, text)
    return text


@lru_cache(maxsize=200_000)
def is_acronym(text: str) -> bool:
    """True for short forms such as PPO, DPPO, LLMs, pi0, GPT-4 (mostly upper case or digits)."""
    core = text.rstrip("s") if len(text) > 2 else text
    letters = [c for c in core if c.isalpha()]
    if not letters or len(core) > 12 or " " in core:
        return False
    upper = sum(c.isupper() for c in letters)
    return upper >= 2 and upper >= len(letters) / 2


@dataclass
class AliasIndex:
    """Alias -> canonical name per entity type, built once from resources and the corpus."""

    names: dict[tuple[EntityType, str], str] = field(default_factory=dict)
    corpus_abbrev: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, resources: Iterable[object] = (), extractions: Iterable[Extraction] = ()
    ) -> AliasIndex:
        """Build the index.

        Args:
            resources: ``kg.resources.ResourceEntry`` records (name, type, aliases).
            extractions: Every paper's extraction; their abbreviations feed acronym resolution.

        Returns:
            The index.
        """
        return cls.from_abbreviations(
            resources, ((a.short, a.long) for ext in extractions for a in ext.abbreviations)
        )

    @classmethod
    def from_abbreviations(
        cls, resources: Iterable[object] = (), abbreviations: Iterable[tuple[str, str]] = ()
    ) -> AliasIndex:
        """Build the index from (short, long) pairs instead of whole extractions (streaming).

        Args:
            resources: ``kg.resources.ResourceEntry`` records (name, type, aliases).
            abbreviations: Every abbreviation every paper defines, as (short, long).

        Returns:
            The same index :meth:`build` returns for extractions with these abbreviations.
        """
        index = cls()
        for entry in resources:
            type_ = EntityType(entry.type)  # type: ignore[attr-defined]
            name: str = entry.name  # type: ignore[attr-defined]
            index.names.setdefault((type_, normalize(name)), name)
            for alias in entry.aliases:  # type: ignore[attr-defined]
                index.names.setdefault((type_, normalize(alias)), name)
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for short, long_form in abbreviations:
            votes[normalize(short)][long_form] += 1
        for short, counter in votes.items():
            # most frequent long form; ties broken alphabetically so the result is deterministic
            index.corpus_abbrev[short] = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        return index

    def lookup(self, type_: EntityType, text: str) -> str | None:
        """The canonical resource name for ``text`` as a ``type_``, if the resources know it."""
        return self.names.get((type_, normalize(text)))

    def resolve(self, mention: Mention, local_abbrev: dict[str, str]) -> tuple[str, bool]:
        """Canonical name for a mention, and whether it came from a curated resource.

        Order: the gazetteer's own canonical name; the paper's definition of an acronym; the
        resources; the definition most papers of the corpus give; the text as written.
        """
        return self.resolve_text(mention.type, mention.text, mention.canonical, local_abbrev)

    def resolve_text(self, type_: EntityType, text: str, canonical: str | None,
                     local_abbrev: dict[str, str]) -> tuple[str, bool]:
        """:meth:`resolve` on a mention's parts (for callers that hold no ``Mention`` record)."""
        if canonical:
            return canonical, True
        key = normalize(text)
        long_form = local_abbrev.get(key)
        if long_form is not None:
            known = self.lookup(type_, long_form)
            return (known, True) if known else (long_form, False)
        known = self.names.get((type_, key))
        if known:
            return known, True
        if is_acronym(text) and key in self.corpus_abbrev:
            long_form = self.corpus_abbrev[key]
            known = self.lookup(type_, long_form)
            return (known, True) if known else (long_form, False)
        return text, False


_REPO_PREFIX = {
    "github.com": "github", "gitlab.com": "gitlab", "bitbucket.org": "bitbucket",
    "huggingface.co": "huggingface",
}
_REPO_KINDS = (LinkKind.CODE, LinkKind.MODEL, LinkKind.DATASET)


def repo_id(url: str) -> str | None:
    """Canonical id of a code/model/dataset repository URL, or None for other links.

    Example: ``https://github.com/owner/name`` -> ``repo:github:owner/name``;
    ``https://huggingface.co/datasets/o/n`` -> ``repo:huggingface:datasets/o/n``.
    """
    match = re.match(r"^(?:https?://)?(?:www\.)?([^/]+)/(.+)$", url.strip())
    if not match or match.group(1).lower() not in _REPO_PREFIX:
        return None
    path = match.group(2).strip("/")
    return f"repo:{_REPO_PREFIX[match.group(1).lower()]}:{path.lower()}" if path else None


# A mention as plain parts: (text, type, field, start, end, sentence, proposed, confidence,
# canonical), and a link as (url, kind, field, start, end, text). The streaming build reads them
# straight from the stored JSON; canonicalize() takes them from the records.
MentionParts = tuple[str, EntityType, str, int, int, str, bool, float, "str | None"]
LinkParts = tuple[str, LinkKind, str, int, int, str]


@dataclass(slots=True)
class _Group:
    type: EntityType
    # (field, start, end, text, sentence) of every mention or link behind the entity
    mentions: list[tuple[str, int, int, str, str]] = field(default_factory=list)
    proposed: bool = False
    confidence: float = 0.0


@lru_cache(maxsize=500_000)
def _concept_id(type_: EntityType, name: str) -> str | None:
    """``entity_id`` of a resolved name, or None when its key has no slug (nothing to name)."""
    key = slug(normalize(name))
    return f"{type_.value}:{key}" if key else None


class ConceptGrouper:
    """Groups each paper's mentions into entities and counts surface forms across the corpus.

    ``canonicalize`` is built on it; a streaming caller feeds papers one at a time with
    :meth:`add`, keeps what it needs of each paper's groups, and asks for the corpus-wide display
    names (:meth:`display_names`) once every paper has been added.
    """

    def __init__(self, index: AliasIndex) -> None:
        self.index = index
        self.surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        self.curated: dict[str, str] = {}

    def add(self, mentions: Iterable[MentionParts], abbreviations: Iterable[tuple[str, str]],
            links: Iterable[LinkParts]) -> dict[str, _Group]:
        """Entity id -> group for one paper (in first-mention order)."""
        local = {normalize(short): long_form for short, long_form in abbreviations}
        resolve = self.index.resolve_text
        surfaces, curated = self.surfaces, self.curated
        groups: dict[str, _Group] = {}
        for text, type_, field_, start, end, sentence, proposed, confidence, canonical in mentions:
            name, from_resource = resolve(type_, text, canonical, local)
            eid = _concept_id(type_, name)
            if eid is None:
                continue
            if from_resource:
                curated.setdefault(eid, name)
            surfaces[eid][name] += 1
            group = groups.get(eid)
            if group is None:
                group = groups[eid] = _Group(type=type_)
            group.mentions.append((field_, start, end, text, sentence))
            group.proposed = group.proposed or proposed
            group.confidence = max(group.confidence, confidence)
        for url, kind, field_, start, end, text in links:
            rid = repo_id(url) if kind in _REPO_KINDS else None
            if rid is None:
                continue
            surfaces[rid][url] += 1
            group = groups.get(rid)
            if group is None:
                group = groups[rid] = _Group(type=EntityType.REPO, confidence=1.0)
            group.mentions.append((field_, start, end, text, ""))
        return groups

    def counts(self) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
        """What this grouper learned across papers (surface form counts, curated names), for
        :meth:`merge` into another (a worker's grouper of one chunk into the corpus's).

        The counts are plain dicts: a pickled ``Counter`` is rebuilt by its Python-level
        constructor, which costs the receiving process more than the merge itself.
        """
        return {eid: dict(forms) for eid, forms in self.surfaces.items()}, self.curated

    def merge(self, counts: tuple[Mapping[str, Mapping[str, int]], Mapping[str, str]]) -> None:
        """Add another grouper's :meth:`counts`, as if its papers had been added here after
        this grouper's (a curated name seen first stays)."""
        surfaces, curated = counts
        for eid, forms in surfaces.items():
            self.surfaces[eid].update(forms)
        for eid, name in curated.items():
            self.curated.setdefault(eid, name)

    def display_names(self) -> dict[str, str]:
        """Entity id -> display name: the curated name, else the most frequent surface form."""
        curated = self.curated
        return {
            eid: curated.get(eid) or min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            for eid, c in self.surfaces.items()
        }


def mention_parts(extraction: Extraction) -> list[MentionParts]:
    """The extraction's mentions as :data:`MentionParts`."""
    return [(m.text, m.type, m.field, m.start, m.end, m.sentence, m.proposed, m.confidence,
             m.canonical) for m in extraction.mentions]


def link_parts(extraction: Extraction) -> list[LinkParts]:
    """The extraction's links as :data:`LinkParts`."""
    return [(ln.url, ln.kind, ln.field, ln.start, ln.end, ln.text) for ln in extraction.links]


def canonicalize(
    papers: Sequence[Paper],
    extractions: Sequence[Extraction],
    resources: Sequence[Path] = (),
    index: AliasIndex | None = None,
) -> list[PaperConcepts]:
    """Resolve every paper's mentions to canonical entities, consistently across the corpus.

    Args:
        papers: The papers, in output order.
        extractions: Their extractions (matched by ``paper_id``).
        resources: Extra user resource files for the alias index.
        index: A prebuilt index (built from the resources and ``extractions`` when None).

    Returns:
        One :class:`PaperConcepts` per paper, entities sorted by (type, id).
    """
    if index is None:
        from kg.resources import load_resources

        index = AliasIndex.build(load_resources(tuple(resources)), extractions)
    by_id = {e.paper_id: e for e in extractions}
    per_paper: list[tuple[Paper, dict[str, _Group], tuple[str, ...]]] = []
    grouper = ConceptGrouper(index)
    for paper in papers:
        ext = by_id.get(paper.id, Extraction(paper_id=paper.id))
        groups = grouper.add(mention_parts(ext), ((a.short, a.long) for a in ext.abbreviations),
                             link_parts(ext))
        per_paper.append((paper, groups, tuple(sorted({ln.url for ln in ext.links}))))

    display = grouper.display_names()
    out = []
    for paper, groups, links in per_paper:
        entities = []
        for eid, g in groups.items():
            name = display[eid]
            aliases = sorted({m[3] for m in g.mentions} - {name})
            entities.append(
                PaperEntity(
                    id=eid, type=g.type, name=name, aliases=tuple(aliases), proposed=g.proposed,
                    confidence=round(g.confidence, 4),
                    mentions=tuple(
                        MentionRef(field=f, start=st, end=en, text=t, sentence=sen)
                        for f, st, en, t, sen in sorted(g.mentions, key=lambda m: (m[0], m[1]))
                    ),
                )
            )
        entities.sort(key=lambda e: (e.type.value, e.id))
        out.append(PaperConcepts(id=paper.id, title=paper.title, entities=tuple(entities),
                                 links=links))
    return out
