"""The library's top-level operations, composed from the stages (what the CLI calls).

    readers -> extractor -> canonicalizer -> graph builder -> store

Example:
    >>> from kg.store.sqlite import SQLiteStore
    >>> with SQLiteStore(":memory:") as store:
    ...     report = build(["examples/hf-papers-policy.txt"], store)  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kg.canonical import AliasIndex, canonicalize, normalize
from kg.errors import InputError, KGError
from kg.graph import build_graph
from kg.models import EntityType, Extraction, Paper, PaperConcepts, Relation, RelationType
from kg.store.sqlite import SQLiteStore, content_hash

if TYPE_CHECKING:
    from kg.related import RelatedHit, RelatedIndex

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as work advances (the CLI draws bars with it)."""

RELATED_INDEX_KEY = "related_index"
ABBREVIATIONS_KEY = "corpus_abbreviations"
DEFAULT_K = 10


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class BuildReport:
    """What ``build`` did."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (for ``--json``)."""
        return dict(self.__dict__)


def extract_papers(
    papers: Sequence[Paper],
    resources: Sequence[Path] = (),
    workers: int = 1,
    progress: Progress = _no_progress,
) -> list[Extraction]:
    """Run the extractor over papers, reporting progress.

    Returns:
        One ``Extraction`` per paper, in input order.
    """
    if not papers:
        return []  # a no-op re-build need not load the spaCy pipeline
    from kg.extract import get_extractor

    extractor = get_extractor(tuple(resources))
    out = []
    total = len(papers)
    progress("extract", 0, total)
    for i, ext in enumerate(extractor.extract_many(papers, workers=workers), 1):
        out.append(ext)
        if i % 64 == 0 or i == total:
            progress("extract", i, total)
    return out


def extract_concepts(
    papers: Sequence[Paper],
    resources: Sequence[Path] = (),
    workers: int = 1,
    progress: Progress = _no_progress,
) -> list[PaperConcepts]:
    """Extract and canonicalize a corpus (``kg extract`` / ``kg eval``) without a store."""
    extractions = extract_papers(papers, resources, workers, progress)
    return canonicalize(papers, extractions, resources)


def build(
    paths: Sequence[str | Path],
    store: SQLiteStore,
    *,
    fmt: str | None = None,
    skip_invalid: bool = False,
    resources: Sequence[Path] = (),
    workers: int = 1,
    k: int = DEFAULT_K,
    progress: Progress = _no_progress,
) -> BuildReport:
    """Add the papers of ``paths`` to the store and rebuild the graph.

    Everything is read and validated first; new or changed papers are extracted; then the store
    is updated in ONE transaction, so a failure at any point leaves the previous store intact.
    Building the same input twice changes nothing.

    Args:
        paths: Input files.
        store: The embedded store.
        fmt: Force an input format (detected per file otherwise).
        skip_invalid: Keep the valid records of a file with invalid ones.
        resources: Extra resource files (alias lists) for extraction and canonicalization.
        workers: Extraction processes.
        k: RELATED_TO links per paper.
        progress: Progress callback.

    Returns:
        A :class:`BuildReport`.

    Raises:
        InputError: When an input is invalid (and ``skip_invalid`` is false).
        StoreError: When the store cannot be written.
    """
    from kg.readers import read_papers

    result = read_papers(list(paths), fmt=fmt, skip_invalid=skip_invalid)
    report = BuildReport(
        read=len(result.papers), skipped=[str(p) for p in result.skipped],
        warnings=[str(p) for p in result.warnings],
    )
    stored = store.content_hashes()
    todo = [p for p in result.papers if stored.get(p.id) != content_hash(p)]
    report.added = sum(1 for p in todo if p.id not in stored)
    report.updated = len(todo) - report.added
    report.unchanged = len(result.papers) - len(todo)
    extractions = extract_papers(todo, resources, workers, progress)
    if not todo and store.get_meta(RELATED_INDEX_KEY) is not None:
        report.counts = graph_counts(store)
        return report
    with store.transaction():
        store.upsert_papers(todo, extractions)
        refresh_graph(store, resources=resources, k=k, progress=progress)
    report.counts = graph_counts(store)
    return report


def refresh_graph(
    store: SQLiteStore,
    resources: Sequence[Path] = (),
    k: int = DEFAULT_K,
    progress: Progress = _no_progress,
) -> None:
    """Recompute concepts, edges and related-paper links from the stored papers (in a transaction).

    Canonicalization runs over the whole corpus each time, so an acronym defined by a paper added
    later merges with earlier mentions: the result does not depend on the order of builds.
    """
    from kg.related import RelatedIndex
    from kg.resources import load_resources

    papers = store.papers()
    extractions = list(store.extractions().values())
    progress("canonicalize", 0, 1)
    index = AliasIndex.build(load_resources(tuple(resources)), extractions)
    concepts = canonicalize(papers, extractions, index=index)
    progress("canonicalize", 1, 1)
    related_index = RelatedIndex.fit(papers, {pc.id: pc.entities for pc in concepts})
    related: dict[str, list[Relation]] = {}
    total = len(papers)
    for i, (pid, hits) in enumerate(related_index.all_neighbours(k=k), 1):
        related[pid] = [related_relation(pid, hit) for hit in hits]
        if i % 256 == 0 or i == total:
            progress("related", i, total)
    batch = build_graph(papers, concepts, related)
    store.replace_graph(batch)
    store.set_meta(RELATED_INDEX_KEY, related_index.to_bytes())
    store.set_meta(ABBREVIATIONS_KEY, json.dumps(index.corpus_abbrev, sort_keys=True))


def related_relation(source: str, hit: RelatedHit) -> Relation:
    """A RELATED_TO relation from a scorer hit (shared concept ids, then ``term:`` entries)."""
    shared = tuple(c.id for c in hit.shared_concepts) + tuple(f"term:{t}" for t in hit.shared_terms)
    return Relation(
        source=source, target=hit.paper_id, type=RelationType.RELATED_TO,
        weight=round(float(hit.score), 6), count=len(shared), shared=shared,
    )


def graph_counts(store: SQLiteStore) -> dict[str, int]:
    """Papers, entities per type and edges per type in the store."""
    counts = {"papers": store.paper_count()}
    for type_, n in store.conn.execute("SELECT type, count(*) FROM entities GROUP BY type"):
        counts[f"entities.{type_}"] = n
    for type_, n in store.conn.execute("SELECT type, count(*) FROM edges GROUP BY type"):
        counts[f"edges.{type_}"] = n
    return counts


class AmbiguousPaper(KGError):
    """A paper query matches several papers; ``candidates`` holds them."""

    def __init__(self, query: str, candidates: Sequence[Paper]) -> None:
        self.candidates = list(candidates)
        super().__init__(
            f'"{query}" matches {len(candidates)} papers — pass one of the ids shown'
        )


def find_paper(store: SQLiteStore, query: str) -> Paper:
    """Find one paper by id, title, or a fragment of the title (fuzzy as a last resort).

    Raises:
        InputError: When nothing matches.
        AmbiguousPaper: When several papers match equally well.
    """
    for candidate in (query, f"paper:{query}"):
        paper = store.paper(candidate)
        if paper is not None:
            return paper
    titles = store.titles()
    key = normalize(query)
    keys = {pid: normalize(title) for pid, title in titles.items()}
    exact = [pid for pid, k in keys.items() if k == key]
    partial = exact or [pid for pid, k in keys.items() if key and key in k]
    if len(partial) > 1:
        raise AmbiguousPaper(query, [_paper(store, pid) for pid in partial[:10]])
    if partial:
        return _paper(store, partial[0])
    by_key = {k: pid for pid, k in keys.items()}
    close = difflib.get_close_matches(key, list(by_key), n=5, cutoff=0.6)
    if len(close) == 1:
        return _paper(store, by_key[close[0]])
    if close:
        raise AmbiguousPaper(query, [_paper(store, by_key[c]) for c in close])
    raise InputError(
        f'no paper matches "{query}" — try `kg related --text "{query}"` or a paper id from `kg stats`'
    )


def _paper(store: SQLiteStore, paper_id: str) -> Paper:
    paper = store.paper(paper_id)
    assert paper is not None, paper_id
    return paper


def load_related_index(store: SQLiteStore) -> RelatedIndex:
    """The fitted related-paper index stored by the last build.

    Raises:
        KGError: When the store has not been built yet.
    """
    from kg.related import RelatedIndex

    blob = store.get_meta(RELATED_INDEX_KEY)
    if blob is None:
        raise KGError(f"{store.path}: the store is empty — run `kg build INPUT` first")
    return RelatedIndex.from_bytes(blob if isinstance(blob, bytes) else blob.encode())


def text_concepts(store: SQLiteStore, text: str, resources: Sequence[Path] = ()) -> PaperConcepts:
    """Extract and canonicalize free text against the store's corpus (``kg related --text``)."""
    from kg.extract import get_extractor
    from kg.resources import load_resources

    extraction = get_extractor(tuple(resources)).extract_text(text)
    index = AliasIndex.build(load_resources(tuple(resources)))
    raw = store.get_meta(ABBREVIATIONS_KEY)
    if raw:
        index.corpus_abbrev.update(json.loads(raw))
    paper = Paper(id=extraction.paper_id, title="", abstract=text)
    return canonicalize([paper], [extraction], index=index)[0]


def parse_types(value: str | None) -> set[EntityType] | None:
    """``"method,dataset"`` -> {METHOD, DATASET}; None or "" -> None (all types).

    Raises:
        InputError: For an unknown type name.
    """
    if not value:
        return None
    out = set()
    for part in value.split(","):
        try:
            out.add(EntityType(part.strip().lower()))
        except ValueError:
            names = ", ".join(t.value for t in EntityType)
            raise InputError(f'unknown concept type "{part.strip()}" — use one of: {names}') from None
    return out


def top_shared_concepts(store: SQLiteStore, n: int = 10) -> list[dict[str, object]]:
    """The ``n`` concepts linked to the most papers (ties by id)."""
    rows = store.conn.execute(
        "SELECT e.id, e.name, e.type, count(DISTINCT g.source) AS papers FROM entities e "
        "JOIN edges g ON g.target = e.id AND g.type != 'RELATED_TO' "
        "GROUP BY e.id ORDER BY papers DESC, e.id LIMIT ?",
        (n,),
    )
    return [{"id": i, "name": nm, "type": t, "papers": c} for i, nm, t, c in rows]
