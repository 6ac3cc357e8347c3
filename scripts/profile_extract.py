"""CPU time per paper of each extraction step, next to spaCy's blank tokenizer (the floor).

Each step runs on batches of papers several times; the minimum per batch is kept, so that other
processes on a busy machine inflate the figures less (CPU time, ``time.process_time``). Also
reports the garbage collector's share when all results are kept, as ``kg build`` does.

Usage:
    python scripts/profile_extract.py benchmarks/data/corpus-2000.jsonl [--rounds 5] [--batch 100]

Example:
    $ python scripts/profile_extract.py benchmarks/data/corpus-1000.jsonl --rounds 3
    blank tokenizer (floor)        88.1 us/paper
    ...
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def _min_per_batch(items: Sequence, fn: Callable[[Sequence], object], rounds: int, batch: int) -> float:
    """Microseconds per item: sum over batches of the fastest of ``rounds`` runs."""
    total = 0.0
    for i in range(0, len(items), batch):
        chunk = items[i : i + batch]
        best = float("inf")
        for _ in range(rounds):
            start = time.process_time()
            fn(chunk)
            best = min(best, time.process_time() - start)
        total += best
    return total / max(1, len(items)) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="papers (any format kg reads)")
    parser.add_argument("--rounds", type=int, default=5, help="runs per batch (default 5)")
    parser.add_argument("--batch", type=int, default=100, help="papers per batch (default 100)")
    args = parser.parse_args(argv)

    import spacy

    from kg.extract import get_extractor
    from kg.extract import abbreviations, links, patterns, sentences
    from kg.extract.extractor import _doc_text, _record
    from kg.readers import read_papers

    papers = read_papers([args.corpus]).papers
    texts = [_doc_text(p.title, p.abstract) for p in papers]
    extractor = get_extractor()
    nlp = extractor.nlp
    blank = spacy.blank("en")
    list(blank.tokenizer.pipe(texts[:200]))
    list(extractor.extract_many(papers[:200]))

    def run(label: str, fn: Callable[[Sequence], object], items: Sequence = texts) -> float:
        us = _min_per_batch(items, fn, args.rounds, args.batch)
        print(f"{label:34s} {us:8.1f} us/paper")
        return us

    floor = run("blank tokenizer (floor)", lambda t: [None for _ in blank.tokenizer.pipe(t)])
    run("make_doc (kg tokenizer)", lambda t: [extractor._make_doc(x) for x in t])
    docs = [extractor._make_doc(t) for t in texts]
    for name, proc in nlp.pipeline:
        run(f"component {name}", lambda ds, proc=proc: [proc(d) for d in ds], docs)
    titles = [len(p.title) for p in papers]
    pairs = list(zip(texts, titles))
    run("  split_sentences", lambda t: [sentences.split_sentences(x) for x in t])
    run("  find_abbreviations", lambda t: [abbreviations.find_abbreviations(x) for x in t])
    run("  find_name_tokens", lambda t: [patterns.find_name_tokens(x) for x in t])
    run("  find_typed_heads", lambda t: [patterns.find_typed_heads(x) for x in t])
    run("  find_proposals", lambda ps: [
        patterns.find_proposals(x, sentences.split_sentences(x), n) for x, n in ps], pairs)
    run("  find_title_tasks", lambda ps: [patterns.find_title_tasks(x, n) for x, n in ps], pairs)
    run("  find_links", lambda t: [links.find_links(x) for x in t])

    def rows(batch: Sequence) -> object:
        out = []
        for paper in batch:
            doc = nlp(extractor._make_doc(_doc_text(paper.title, paper.abstract)))
            out.append(extractor._to_row(doc, paper.id, paper.title))
        return out

    run("pipeline + rows (no records)", rows, papers)
    # Language.pipe runs each component over a batch of docs (the components' pipe methods).
    run("nlp.pipe, no rows", lambda t: list(nlp.pipe(extractor._make_doc(x) for x in t)))
    # The rule-combining step alone (resolve + mention values) on finished docs: the boundary
    # takes the original text out of the doc, so it is put back before each run.
    done = [(nlp(extractor._make_doc(t)), t, p) for t, p in zip(texts, papers)]

    def to_rows(batch: Sequence) -> object:
        out = []
        for doc, text, paper in batch:
            doc.user_data["kg_text"] = text
            out.append(extractor._to_row(doc, paper.id, paper.title))
        return out

    run("rows of finished docs (resolve)", to_rows, done)
    del done
    run("records (_record) of the rows", lambda rs: [_record(r) for r in rs], rows(papers))
    kg1 = run("extract_many, 1 process", lambda ps: list(extractor.extract_many(ps)), papers)

    spent = [0.0]
    started = [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - started[0]

    gc.callbacks.append(callback)
    start = time.process_time()
    kept = list(extractor.extract_many(papers))
    cpu = time.process_time() - start
    gc.callbacks.remove(callback)
    print(f"{'all results kept: total':34s} {cpu / len(papers) * 1e6:8.1f} us/paper, of which "
          f"garbage collection {spent[0] / len(papers) * 1e6:.1f}")
    print(f"kg / blank tokenizer (CPU): {floor / kg1:.1%}  ({len(kept)} papers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
