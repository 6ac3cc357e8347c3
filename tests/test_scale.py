"""The scale machinery gives the results of the simple code it replaces.

* ``pipeline.refresh_graph`` streams the corpus from SQLite and writes rows directly; the store
  must hold exactly what ``kg.graph.build_graph`` makes of ``canonicalize``'s records.
* ``RelatedIndex.all_neighbours`` / ``neighbour_links`` compute the reasons of a whole chunk of
  pairs with array operations; they must equal the per-query ``_hits`` path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg import pipeline
from kg.canonical import AliasIndex, canonicalize
from kg.errors import InputError
from kg.graph import build_graph
from kg.readers import read_papers
from kg.related import RelatedConfig, RelatedIndex, _row_of
from kg.resources import load_resources
from kg.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CORPUS = ROOT / "examples" / "hf-papers-policy.txt"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("scale") / "kg.db"
    with SQLiteStore(db) as store:
        pipeline.build([EXAMPLE_CORPUS], store)
    return db


def test_scale_streamed_refresh_equals_build_graph_on_records(built: Path) -> None:
    with SQLiteStore(built) as store:
        papers = store.papers()
        extractions = list(store.extractions().values())
        index = AliasIndex.build(load_resources(), extractions)
        concepts = canonicalize(papers, extractions, index=index)
        related_index = pipeline.load_related_index(store)
        related = {
            pid: [pipeline.related_relation(pid, hit) for hit in hits]
            for pid, hits in related_index.all_neighbours(k=pipeline.DEFAULT_K)
        }
        want = build_graph(papers, concepts, related)
        got = store.batch()
        assert got.papers == want.papers
        assert got.entities == want.entities
        assert got.relations == want.relations
        assert json.loads(store.get_meta(pipeline.ABBREVIATIONS_KEY)) == index.corpus_abbrev


def test_scale_rebuild_is_a_no_op_and_store_is_stable(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(built.read_bytes())
    with SQLiteStore(copy) as store:
        before = store.batch()
        report = pipeline.build([EXAMPLE_CORPUS], store)
        assert report.added == report.updated == 0
        with store.transaction():
            pipeline.refresh_graph(store)  # recomputing from the stored rows changes nothing
        assert store.batch() == before


def _forking_copy(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built store, with canonicalization set to use its workers on this small
    corpus (in chunks of 37 papers)."""
    monkeypatch.setattr(pipeline, "FORK_FROM", 0)
    monkeypatch.setattr(pipeline, "_CANONICAL_CHUNK", 37)
    copy = tmp_path / "copy.db"
    copy.write_bytes(built.read_bytes())
    return copy


def test_scale_refresh_with_forked_workers_writes_the_same_store(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.related as related

    # the worker paths of canonicalization, the related fit and the links, on a small corpus
    monkeypatch.setattr(related, "_POOL_FROM", 0)
    with SQLiteStore(_forking_copy(built, tmp_path, monkeypatch)) as store:
        before = store.batch()
        index_before = store.get_meta(pipeline.RELATED_INDEX_KEY)
        with store.transaction():
            pipeline.refresh_graph(store, workers=2)
        assert store.batch() == before
        assert store.get_meta(pipeline.RELATED_INDEX_KEY) == index_before


@pytest.mark.parametrize("workers", [1, 2])
def test_scale_refresh_drops_stale_edges_and_entities(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    # the old edges are deleted while the canonicalization workers run (in-process: before the
    # first chunk's edges are written); a row the new graph does not make must not survive
    with SQLiteStore(_forking_copy(built, tmp_path, monkeypatch)) as store:
        before = store.batch()
        source = before.papers[0].id
        with store.transaction():
            store.conn.execute(
                "INSERT INTO edges(source, target, type) VALUES (?, 'method:stale', 'USES')",
                (source,))
            store.conn.execute(
                "INSERT INTO entities(id, type, name) VALUES ('method:stale', 'method', 'Stale')")
        assert store.batch() != before
        with store.transaction():
            pipeline.refresh_graph(store, workers=workers)
        assert store.batch() == before
        assert store.conn.execute(
            "SELECT count(*) FROM edges WHERE target = 'method:stale'").fetchone() == (0,)


@pytest.mark.parametrize("exact_below", [10_000, 0])
def test_scale_chunked_reasons_equal_per_query_reasons(exact_below: int) -> None:
    papers = read_papers([EXAMPLE_CORPUS]).papers
    extractions = pipeline.extract_papers(papers)
    concepts = {pc.id: pc.entities for pc in canonicalize(papers, extractions)}
    # exact_below=0: the pruned large-corpus path (candidate postings, flat pool, chunks)
    cfg = RelatedConfig(exact_below=exact_below, chunk=37, candidate_top=30, prune_features=40)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False)
    links = dict(index.neighbour_links(k=7))
    seen = 0
    for r, (pid, hits) in enumerate(index.all_neighbours(k=7)):
        js = [index._row[h.paper_id] for h in hits]
        want = index._hits(_row_of(index._x, r), r, js, [h.components for h in hits], None)
        assert hits == want
        assert links[pid] == [
            (h.paper_id, h.score, tuple(c.id for c in h.shared_concepts), h.shared_terms)
            for h in hits
        ]
        seen += bool(hits)
    assert seen > len(papers) * 0.9


def _example_records(n: int) -> list[dict[str, str]]:
    papers = read_papers([EXAMPLE_CORPUS]).papers
    return [{"id": f"p{i:04d}", "title": papers[i % len(papers)].title + f" ({i})",
             "abstract": papers[i % len(papers)].abstract} for i in range(n)]


def test_scale_build_extracts_while_reading_and_reports_full_progress(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _example_records(600)),
                    encoding="utf-8")
    events: list[tuple[int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "extract":
            events.append((done, total))

    with SQLiteStore(tmp_path / "kg.db") as store:
        report = pipeline.build([path], store, progress=progress)
        assert report.read == report.added == 600
        assert store.paper_count() == 600
    # the first papers were extracted before the whole input was read: the progress total
    # (papers read so far) grew while extracting, and the last event is complete
    assert events[0][1] < 600
    assert events[-1] == (600, 600)
    assert [d for d, _ in events] == sorted(d for d, _ in events)


def test_scale_build_stops_extracting_at_an_invalid_record_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records: list[object] = list(_example_records(400))
    records[100] = {"title": "Broken", "abstract": ["not", "text"]}
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    from kg.extract.extractor import Extractor

    seen: list[str] = []
    original = Extractor.extract_many_json

    def counting(self: Extractor, papers, workers: int = 1, batch_size: int = 256):  # type: ignore[no-untyped-def]
        def tap():  # type: ignore[no-untyped-def]
            for paper in papers:
                seen.append(paper.id)
                yield paper
        return original(self, tap(), workers, batch_size)

    monkeypatch.setattr(Extractor, "extract_many_json", counting)
    with SQLiteStore(tmp_path / "kg.db") as store:
        with pytest.raises(InputError, match=r"papers\.jsonl:101: "):
            pipeline.build([path], store)
        assert store.paper_count() == 0
    # the papers after the bad record were read (to count problems), never extracted
    assert seen == [f"paper:p{i:04d}" for i in range(100)]


def test_scale_build_checks_every_input_path_before_extracting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _example_records(50)),
                    encoding="utf-8")
    import kg.extract

    def no_extractor(*args: object, **kwargs: object) -> None:
        raise AssertionError("the extractor was loaded")

    monkeypatch.setattr(kg.extract, "get_extractor", no_extractor)
    with SQLiteStore(tmp_path / "kg.db") as store:
        # a typo in the second path fails at once, not after the first file is extracted
        with pytest.raises(InputError, match=r"missing\.jsonl: no such file"):
            pipeline.build([path, tmp_path / "missing.jsonl"], store)
        with pytest.raises(InputError, match=r"is a directory"):
            pipeline.build([path, tmp_path], store)
        assert store.paper_count() == 0
