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
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from pydantic_core import from_json

from kg.canonical import (
    AliasIndex,
    ConceptGrouper,
    LinkParts,
    MentionParts,
    canonicalize,
    normalize,
)
from kg.errors import InputError, KGError
from kg.graph import concept_relation
from kg.models import (
    EntityType,
    Extraction,
    LinkKind,
    Paper,
    PaperConcepts,
    PaperEntity,
    Relation,
    RelationType,
)
from kg.iterutil import batched
from kg.parallel import FORK_FROM, fork_map
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

    New or changed papers are extracted as they are read and validated; once the whole input is
    read (an invalid record without ``skip_invalid`` fails the run here), the store is updated in
    ONE transaction, so a failure at any point leaves the previous store intact. Building the
    same input twice changes nothing.

    Args:
        paths: Input files.
        store: The embedded store.
        fmt: Force an input format (detected per file otherwise).
        skip_invalid: Keep the valid records of a file with invalid ones.
        resources: Extra resource files (alias lists) for extraction and canonicalization.
        workers: Extraction processes (and the graph refresh's worker processes).
        k: RELATED_TO links per paper.
        progress: Progress callback.

    Returns:
        A :class:`BuildReport`.

    Raises:
        InputError: When an input is invalid (and ``skip_invalid`` is false).
        StoreError: When the store cannot be written.
    """
    from kg.readers import ReadResult, iter_papers

    progress("read", 0, 1)
    stored = store.content_hashes()
    progress("read", 1, 1)
    read = ReadResult()
    report = BuildReport()
    todo: list[Paper] = []  # new or changed papers, written after extraction
    hashes: dict[str, str] = {}

    def changed() -> Iterator[Paper]:
        for paper in iter_papers(list(paths), fmt=fmt, skip_invalid=skip_invalid, result=read):
            report.read += 1
            digest = content_hash(paper)
            if stored.get(paper.id) != digest:
                hashes[paper.id] = digest
                todo.append(paper)
                yield paper

    # The input is read while the first papers are extracted: the extraction workers pull
    # papers as the reader validates them (an invalid record, without skip_invalid, raises
    # here once the input is read, before anything is written). Extractions are spooled to a
    # temporary file as they come (not held as records: at 100k papers they take gigabytes),
    # then written with the graph in ONE transaction.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for paper_id, data in _extract_iter(changed(), lambda: len(todo), resources, workers,
                                            progress):
            # one line per paper: JSON never holds a raw newline (the id is JSON-encoded too)
            spool.write(f"{json.dumps(paper_id)}\t{data}\n")
        report.skipped = [str(p) for p in read.skipped]
        report.warnings = [str(p) for p in read.warnings]
        report.added = sum(1 for p in todo if p.id not in stored)
        report.updated = len(todo) - report.added
        report.unchanged = report.read - len(todo)
        if not todo and store.get_meta(RELATED_INDEX_KEY) is not None:
            report.counts = graph_counts(store)
            return report
        spool.seek(0)
        with store.transaction():
            n_todo = len(todo)
            progress("write papers", 0, n_todo)
            store.upsert_papers(todo, (), hashes)
            store.upsert_extraction_rows(_spooled(spool))
            progress("write papers", n_todo, n_todo)
            # the records are in the store now; refresh_graph streams them back as it needs them
            del todo, hashes, stored
            refresh_graph(store, resources=resources, k=k, progress=progress,
                          workers=workers)
    report.counts = graph_counts(store)
    return report


def _extract_iter(papers: Iterable[Paper], read_so_far: Callable[[], int],
                  resources: Sequence[Path], workers: int,
                  progress: Progress) -> Iterator[tuple[str, str]]:
    """(paper id, Extraction JSON) of every paper, in order; the pipeline is loaded only when
    there is a first paper. The progress total is ``read_so_far()``: the papers read so far
    (the input is still being read while the first ones are extracted)."""
    stream = iter(papers)
    first = next(stream, None)
    if first is None:
        return
    progress("extract", 0, read_so_far())
    from kg.extract import get_extractor

    extractor = get_extractor(tuple(resources))
    for i, pair in enumerate(extractor.extract_many_json(chain([first], stream),
                                                         workers=workers), 1):
        yield pair
        if i % 64 == 0:
            progress("extract", i, read_so_far())
    progress("extract", i, read_so_far())


def _spooled(spool: IO[str]) -> Iterator[tuple[str, str]]:
    for line in spool:
        paper_id, end = _JSON.raw_decode(line)
        yield paper_id, line[end + 1:].rstrip("\n")


_ENTITY_TYPES = {t.value: t for t in EntityType}
_LINK_KINDS = {k.value: k for k in LinkKind}
_ABBREV_KEY = '"abbreviations":['
_JSON = json.JSONDecoder()


def _abbreviation_pairs(data: str) -> list[tuple[str, str]]:
    """(short, long) of a stored Extraction JSON, parsing only its abbreviations array."""
    at = data.find(_ABBREV_KEY)
    # pydantic writes keys in field order without spaces; anything else: parse it all
    items = (_JSON.raw_decode(data, at + len(_ABBREV_KEY) - 1)[0] if at >= 0
             else json.loads(data).get("abbreviations", ()))
    return [(a["short"], a["long"]) for a in items]


def _extraction_parts(data: bytes | str | None) -> tuple[list[MentionParts], list[tuple[str, str]],
                                                 list[LinkParts]]:
    """Mentions, abbreviations and links of a stored Extraction JSON, as plain tuples.

    The stored JSON was written from a validated ``Extraction``, so it is read back without a
    second validation (the defaults below are the model's).
    """
    if not data:
        return [], [], []
    # pydantic's JSON parser (the one that wrote it) reads it ~30% faster than json.loads
    raw = from_json(data)
    types, kinds = _ENTITY_TYPES, _LINK_KINDS
    mentions = [
        (m["text"], types[m["type"]], m["field"], m["start"], m["end"], m.get("sentence", ""),
         m.get("proposed", False), m.get("confidence", 1.0), m.get("canonical"))
        for m in raw.get("mentions", ())
    ]
    abbreviations = [(a["short"], a["long"]) for a in raw.get("abbreviations", ())]
    links = [
        (ln["url"], kinds[ln["kind"]], ln.get("field", "abstract"), ln["start"], ln["end"],
         ln["text"])
        for ln in raw.get("links", ())
    ]
    return mentions, abbreviations, links


def _json_list(values: Iterable[str]) -> str:
    """``json.dumps(list(values), ensure_ascii=False)`` of strings, ~4x faster (a 100k-paper
    build writes a million of them): the same C string encoder and the same separators."""
    return "[" + ", ".join(map(_encode_str, values)) + "]"


_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]


_WRITE_EVERY = 20_000


def refresh_graph(
    store: SQLiteStore,
    resources: Sequence[Path] = (),
    k: int = DEFAULT_K,
    progress: Progress = _no_progress,
    workers: int = 1,
) -> None:
    """Recompute concepts, edges and related-paper links from the stored papers (in a transaction).

    Canonicalization runs over the whole corpus each time, so an acronym defined by a paper added
    later merges with earlier mentions: the result does not depend on the order of builds.

    The corpus is streamed from the store in two passes (abbreviations, then mentions); each
    paper's concept edges are written as soon as it is resolved, and only compact per-paper data
    (interned entity keys) stays in memory for the related-paper index. The result is the one
    :func:`kg.graph.build_graph` gives on the records (``tests/test_scale`` checks it).

    ``workers`` processes share canonicalization's grouping, the related-paper index's fit and
    the related links (the result is the same for any number).
    """
    from kg.resources import load_resources

    conn = store.conn
    total = store.paper_count()
    progress("canonicalize", 0, total)
    index = AliasIndex.from_abbreviations(
        load_resources(tuple(resources)),
        (pair for (data,) in conn.execute("SELECT data FROM extractions")
         for pair in _abbreviation_pairs(data)),
    )
    with store.bulk_load():
        _refresh_rows(store, index, k, total, progress, workers)


def _refresh_rows(store: SQLiteStore, index: AliasIndex, k: int, total: int,
                  progress: Progress, workers: int = 1) -> None:
    from kg.related import RelatedIndex

    conn = store.conn
    conn.execute("DELETE FROM entities")
    grouper = ConceptGrouper(index)  # the corpus's surface forms, merged from every chunk
    relation_value = {(t, p): concept_relation(t, p).value
                      for t in EntityType for p in (False, True)}
    paper_ids: list[str] = []
    # per paper: indices into `keys` (entity id, type, proposed, sorted mention texts), interned,
    # in the order of the paper's entities (type, id)
    key_ids: dict[tuple[str, EntityType, bool, tuple[str, ...]], int] = {}
    paper_keys: list[tuple[int, ...]] = []
    # the acronyms each paper defines, as the extractor found them: the related index expands
    # the same ones canonicalization merged concepts by
    acronyms: dict[str, dict[str, str]] = {}
    entity_texts: dict[str, set[str]] = {}
    entity_types: dict[str, EntityType] = {}
    link_updates: list[tuple[str, str]] = []
    insert_edges = (
        "INSERT OR REPLACE INTO edges(source, target, type, weight, count, evidence, shared)"
        " VALUES (?,?,?,?,?,?,?)"
    )
    # streamed: SQLite lets this connection write other tables while the cursor is open; the
    # extraction JSON comes as bytes (UTF-8 as stored: no decoding here, none for the pickle)
    rows = conn.execute(
        "SELECT p.id, p.links, CAST(e.data AS BLOB) FROM papers p"
        " LEFT JOIN extractions e ON e.paper_id = p.id ORDER BY p.id"
    )
    # Clearing the old edges reads every page of the table (seconds at 100k papers): it is done
    # once the workers have two chunks each (fork_map keeps at most 2 * workers + 1 in flight),
    # while they work on them, and at the latest before the first edges are written (in-process,
    # the first chunk's results come before the second chunk is read).
    cleared = False

    def clear_edges() -> None:
        nonlocal cleared
        if not cleared:
            conn.execute("DELETE FROM edges")
            cleared = True

    n_workers = workers if total >= FORK_FROM else 1

    def chunks() -> Iterator[list[tuple[str, str, bytes | None]]]:
        for n, chunk in enumerate(batched(rows, _CANONICAL_CHUNK)):
            if n == 2 * n_workers:
                clear_edges()
            yield chunk

    # chunks of papers are grouped in the workers (JSON parsing, alias resolution, edge rows);
    # this process merges their surface forms in chunk order, interns the entity keys (each
    # chunk sends its distinct keys once) and writes the edges
    i = 0
    for papers, keys, edges, counts in fork_map(
            lambda chunk: _canonical_chunk(index, relation_value, chunk), chunks(), n_workers):
        grouper.merge(counts)
        local = []
        for key in keys:
            kid = key_ids.get(key)
            if kid is None:
                kid = key_ids[key] = len(key_ids)
                eid, type_, _, texts = key
                known = entity_texts.get(eid)
                if known is None:
                    entity_texts[eid] = set(texts)
                    entity_types[eid] = type_
                else:
                    known.update(texts)
            local.append(kid)
        at = local.__getitem__
        for pid, links_json, kids, defined in papers:
            if links_json is not None:
                link_updates.append((links_json, pid))
            if defined:
                acronyms[pid] = defined
            paper_ids.append(pid)
            paper_keys.append(tuple(map(at, kids)))
        clear_edges()
        conn.executemany(insert_edges, edges)
        del edges
        done, i = i, i + len(papers)
        if done // 1024 != i // 1024 or i == total:
            progress("canonicalize", i, total)
    del rows
    clear_edges()  # no papers: no chunks
    conn.executemany("UPDATE papers SET links = ? WHERE id = ?", link_updates)
    display = grouper.display_names()
    conn.executemany(
        "INSERT OR REPLACE INTO entities(id, type, name, aliases) VALUES (?,?,?,?)",
        [(eid, entity_types[eid].value, display[eid],
          _json_list(sorted(texts - {display[eid]})))
         for eid, texts in sorted(entity_texts.items())],
    )
    del entity_texts
    progress("canonicalize", total, total)

    # One PaperEntity per distinct key (canonicalize() makes one per paper and entity); what the
    # related index reads of it: id, type, name, aliases, proposed.
    interned = []
    for eid, type_, proposed, texts in key_ids:
        name = display[eid]
        interned.append(PaperEntity.model_construct(
            id=eid, type=type_, name=name, aliases=tuple(t for t in texts if t != name),
            proposed=proposed))
    del key_ids
    # each paper's keys come sorted by (type, id), the order canonicalize() gives
    concepts = {pid: tuple(map(interned.__getitem__, kids))
                for pid, kids in zip(paper_ids, paper_keys)}
    del paper_keys, interned
    progress("related index", 0, 1)
    # the texts are read from the store on each of the fit's passes: holding every paper's
    # record through the fit would add hundreds of MB at 100k papers
    related_index = RelatedIndex.fit(_StoredTexts(conn, len(paper_ids)), concepts,
                                     workers=workers, abbreviations=acronyms)
    progress("related index", 1, 1)
    del concepts, paper_ids, acronyms  # the index keeps what it needs (ids, titles, matrices)
    progress("related", 0, total)
    edges: list[tuple[Any, ...]] = []
    # the edge rows are made where the links are computed (in the workers)
    for i, rows in enumerate(related_index.neighbour_links(k=k, workers=workers,
                                                           transform=_related_edge_rows), 1):
        edges.extend(rows)
        if len(edges) >= _WRITE_EVERY:
            conn.executemany(insert_edges, edges)
            edges.clear()
        if i % 1024 == 0 or i == total:
            progress("related", i, total)
    conn.executemany(insert_edges, edges)
    progress("write index", 0, 1)
    # through a temporary file: the index's blob (hundreds of MB at 100k papers) is never in
    # memory next to the index itself
    with tempfile.TemporaryFile() as blob:
        related_index.write(blob)
        store.set_meta(RELATED_INDEX_KEY, blob)
    store.set_meta(ABBREVIATIONS_KEY, json.dumps(index.corpus_abbrev, sort_keys=True))
    progress("write index", 1, 1)


_CANONICAL_CHUNK = 2000  # papers per task of the canonicalization workers


def _canonical_chunk(index: AliasIndex, relation_value: Mapping[tuple[EntityType, bool], str],
                     rows: Sequence[tuple[str, str, bytes | str | None]]) -> tuple[
        list[tuple[str, str | None, tuple[int, ...], dict[str, str]]],
        list[tuple[str, EntityType, bool, tuple[str, ...]]], list[tuple[Any, ...]],
        tuple[dict[str, dict[str, int]], dict[str, str]]]:
    """Group the stored mentions of a chunk of papers (``(id, links JSON, Extraction JSON)``).

    Returns:
        Per paper ``(id, links JSON when it changed else None, keys, acronyms)``: the paper's
        entity keys as indices into the chunk's distinct keys, in (type, id) order, and the
        acronyms it defines (short -> long form); then the distinct entity keys ``(id, type,
        proposed, sorted mention texts)`` in first-seen order, the chunk's concept-edge rows
        (in paper order, each paper's in first-mention order), and the chunk's
        :meth:`ConceptGrouper.counts`.
    """
    grouper = ConceptGrouper(index)
    out = []
    key_ids: dict[tuple[str, EntityType, bool, tuple[str, ...]], int] = {}
    edges = []
    for pid, links, data in rows:
        mentions, abbreviations, link_parts = _extraction_parts(data)
        groups = grouper.add(mentions, abbreviations, link_parts)
        links_json = _json_list(sorted({ln[0] for ln in link_parts}))
        kids = []
        for eid, g in groups.items():
            ms = g.mentions
            # the first of the sorted mentions
            first = ms[0] if len(ms) == 1 else min(ms, key=lambda m: (m[0], m[1]))
            key = (eid, g.type, g.proposed, tuple(sorted({m[3] for m in ms})))
            kid = key_ids.get(key)
            if kid is None:
                kid = key_ids[key] = len(key_ids)
            kids.append((g.type.value, eid, kid))
            edges.append((pid, eid, relation_value[g.type, g.proposed],
                          round(round(g.confidence, 4), 4), max(1, len(ms)), first[4] or None,
                          "[]"))
        kids.sort()
        out.append((pid, None if links_json == links else links_json,
                    tuple(k[2] for k in kids), dict(abbreviations)))
    return out, list(key_ids), edges, grouper.counts()


def _related_edge_rows(pid: str, links: Sequence[tuple[str, float, tuple[str, ...],
                                                      tuple[str, ...]]]) -> list[tuple[Any, ...]]:
    """The ``edges`` rows of a paper's RELATED_TO links (shared concepts, then ``term:`` terms)."""
    rows = []
    for target, score, concept_ids, terms in links:
        shared = [*concept_ids, *(f"term:{t}" for t in terms)]
        rows.append((pid, target, "RELATED_TO", round(float(score), 6), len(shared), None,
                     _json_list(shared)))
    return rows


class _StoredText(NamedTuple):
    """What :meth:`RelatedIndex.fit` reads of a paper."""

    id: str
    title: str
    abstract: str


class _StoredTexts(Sequence[_StoredText]):
    """The stored papers' (id, title, abstract) in id order, read from the store on each pass."""

    _SQL = "SELECT id, title, abstract FROM papers ORDER BY id"

    def __init__(self, conn: sqlite3.Connection, n: int) -> None:
        self._conn, self._n = conn, n

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[_StoredText]:
        return map(_StoredText._make, self._conn.execute(self._SQL))

    def __getitem__(self, i: int) -> _StoredText:  # type: ignore[override]
        # random access is not what the fit does; it is here to be a Sequence
        if not -self._n <= i < self._n:
            raise IndexError(i)
        row = self._conn.execute(f"{self._SQL} LIMIT 1 OFFSET ?", (i % self._n,)).fetchone()
        return _StoredText._make(row)


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


def _text_concepts(store: SQLiteStore, text: str, extraction: Extraction,
                   resources: Sequence[Path]) -> PaperConcepts:
    """Free text's extraction canonicalized against the store's corpus (its acronyms too)."""
    from kg.resources import load_resources

    index = AliasIndex.build(load_resources(tuple(resources)))
    raw = store.get_meta(ABBREVIATIONS_KEY)
    if raw:
        index.corpus_abbrev.update(json.loads(raw))
    paper = Paper(id=extraction.paper_id, title="", abstract=text)
    return canonicalize([paper], [extraction], index=index)[0]


def extraction_acronyms(extraction: Extraction) -> dict[str, str]:
    """The acronyms a paper defines (short -> long form), as the related index takes them."""
    return {a.short: a.long for a in extraction.abbreviations}


def related_to_text(store: SQLiteStore, index: RelatedIndex, text: str, k: int = 10,
                    types: set[EntityType] | None = None,
                    resources: Sequence[Path] = ()) -> list[RelatedHit]:
    """Papers related to free text (``kg related --text``).

    The text is extracted and canonicalized against the store's corpus like a stored paper,
    and the acronyms it defines expand its terms as a stored paper's do.
    """
    from kg.extract import get_extractor

    extraction = get_extractor(tuple(resources)).extract_text(text)
    concepts = _text_concepts(store, text, extraction, resources)
    return index.search(text, concepts.entities, k=k, types=types,
                        abbreviations=extraction_acronyms(extraction))


def related_inputs(
    papers: Sequence[Paper], resources: Sequence[Path] = (), workers: int = 1,
    progress: Progress = _no_progress,
) -> tuple[dict[str, tuple[PaperEntity, ...]], dict[str, dict[str, str]]]:
    """What :meth:`RelatedIndex.fit` takes besides the papers, without a store (``kg
    eval-related``): each paper's canonical entities and the acronyms it defines."""
    extractions = extract_papers(papers, resources, workers, progress)
    concepts = canonicalize(papers, extractions, resources)
    return ({pc.id: pc.entities for pc in concepts},
            {e.paper_id: extraction_acronyms(e) for e in extractions if e.abbreviations})


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
