"""Deterministic benchmark corpus: the example corpus scaled to N papers by recombining it.

Every generated abstract is a sequence of whole, real sentences taken from the 214 abstracts of
``examples/hf-papers-policy.txt``, so concept names, acronym definitions ("Proximal Policy
Optimization (PPO)") and URLs stay intact and the token statistics stay those of real abstracts.
Each paper starts from a randomly chosen *base* abstract and swaps about half of its sentences for
sentences from the same position (opening, middle, closing) of other abstracts, which keeps some
topical coherence (so related-paper links mean something) while making every abstract new.
Titles recombine title segments (``Prefix: head connector tail``) and are unique after
normalization (kg merges papers with the same normalized title). Dates spread over 2017-2025 with
more papers in later years, so ``concept_timeline`` has data.

One random stream generates papers in order, so the first N papers of a larger corpus are exactly
the corpus of size N (same seed): 1k is a prefix of 10k, which is a prefix of 100k.

Example:
    python benchmarks/generate.py 1000 -o benchmarks/data/corpus-1000.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO / "examples" / "hf-papers-policy.txt"
DEFAULT_SEED = 13

_CHROME = re.compile(r"^(?:Get trending papers in your email inbox.*|Subscribe|Upvote|\W*)$")
_GLUED = re.compile(r"^(?:Subscribe|Upvote|Submit)(?=[A-Z0-9\"'(])")
# A sentence ends at . ! ? followed by space and an upper-case letter, digit, quote or bracket,
# unless the period closes one of these abbreviations (checked on the word before the break).
_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"“\[])")
_ABBREV_END = re.compile(
    r"(?:\be\.g|\bi\.e|\bet al|\bvs|\bcf|\bFig|\bEq|\bSec|\bapprox|\bresp|\bNo|\bDr|\bMr|\b[A-Z])\.$"
)
_TITLE_CONNECTOR = re.compile(
    r" (for|via|with|in|from|under|using|through|towards|beyond|without|across) "
)
_TITLE_KEY = re.compile(r"[^a-z0-9]+")
# Relative arXiv volume per year (grows like the real ML categories).
_YEARS = tuple(range(2017, 2026))
_YEAR_WEIGHTS = (1.0, 1.3, 1.7, 2.2, 2.8, 3.5, 4.5, 5.5, 6.5)


@dataclass(frozen=True)
class Source:
    """Sentences and title segments of the real corpus, the material of every generated paper."""

    abstracts: tuple[tuple[str, ...], ...]
    openings: tuple[str, ...]
    middles: tuple[str, ...]
    closings: tuple[str, ...]
    prefixes: tuple[str, ...]
    heads: tuple[str, ...]
    tails: tuple[str, ...]


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences, keeping abbreviations such as "e.g." inside."""
    out: list[str] = []
    start = 0
    for match in _BREAK.finditer(text):
        piece = text[start:match.start()]
        if _ABBREV_END.search(piece):
            continue
        out.append(piece.strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def read_hf_pairs(path: Path) -> list[tuple[str, str]]:
    """(title, abstract) pairs of an HF papers page text dump (title line, abstract line, ...)."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        while _GLUED.match(line):
            line = _GLUED.sub("", line, count=1)
        if line and not _CHROME.match(line):
            lines.append(line)
    if len(lines) % 2:
        raise SystemExit(f"{path}: expected title/abstract line pairs, got {len(lines)} lines")
    return list(zip(lines[0::2], lines[1::2]))


def _title_parts(title: str) -> tuple[str | None, str, str | None]:
    prefix = None
    if ": " in title:
        left, right = title.split(": ", 1)
        if len(left.split()) <= 4:
            prefix, title = left, right
    match = _TITLE_CONNECTOR.search(title)
    if match and match.start() > 0:
        return prefix, title[:match.start()], title[match.start() + 1:]
    return prefix, title, None


def load_source(path: Path = DEFAULT_SOURCE) -> Source:
    """Cut the example corpus into sentence pools (by position) and title segment pools."""
    pairs = read_hf_pairs(path)
    abstracts = tuple(tuple(split_sentences(a)) for _, a in pairs)
    openings, middles, closings = [], [], []
    for sents in abstracts:
        if not sents:
            continue
        openings.append(sents[0])
        if len(sents) > 1:
            closings.append(sents[-1])
        middles.extend(sents[1:-1])
    prefixes, heads, tails = [], [], []
    for title, _ in pairs:
        prefix, head, tail = _title_parts(title)
        if prefix:
            prefixes.append(prefix)
        heads.append(head)
        if tail:
            tails.append(tail)
    return Source(
        abstracts=abstracts, openings=tuple(openings), middles=tuple(middles),
        closings=tuple(closings), prefixes=tuple(prefixes), heads=tuple(heads),
        tails=tuple(tails),
    )


def title_key(title: str) -> str:
    """The key under which two titles count as the same (case, punctuation and plurals folded)."""
    words = _TITLE_KEY.sub(" ", title.lower()).split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


def _abstract(rng: random.Random, src: Source) -> str:
    base = src.abstracts[rng.randrange(len(src.abstracts))]
    out = []
    for pos, sentence in enumerate(base):
        if rng.random() < 0.5:
            if pos == 0:
                sentence = rng.choice(src.openings)
            elif pos == len(base) - 1:
                sentence = rng.choice(src.closings)
            else:
                sentence = rng.choice(src.middles)
        out.append(sentence)
    return " ".join(out)


def _title(rng: random.Random, src: Source, seen: set[str]) -> str:
    for _ in range(1000):
        title = rng.choice(src.heads)
        if rng.random() < 0.85:
            title = f"{title} {rng.choice(src.tails)}"
        if rng.random() < 0.35:
            title = f"{rng.choice(src.prefixes)}: {title}"
        key = title_key(title)
        if key not in seen:
            seen.add(key)
            return title
    raise RuntimeError("title pools exhausted — use a larger source corpus")  # pragma: no cover


def generate(n: int, seed: int = DEFAULT_SEED, source: Path = DEFAULT_SOURCE) -> Iterator[dict]:
    """Yield ``n`` paper records ``{id, title, abstract, published}``.

    Args:
        n: How many papers.
        seed: Random seed; the same (n, seed, source) always gives the same records, and the
            records of a smaller ``n`` are a prefix of those of a larger one.
        source: The HF text dump whose sentences and titles are recombined.

    Yields:
        JSON-ready dicts in the JSONL reader's fields.
    """
    src = load_source(source)
    rng = random.Random(seed)
    seen: set[str] = set()
    for i in range(n):
        title = _title(rng, src, seen)
        abstract = _abstract(rng, src)
        year = rng.choices(_YEARS, weights=_YEAR_WEIGHTS)[0]
        published = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield {"id": f"bench-{i:06d}", "title": title, "abstract": abstract,
               "published": published}


def main(argv: list[str] | None = None) -> int:
    """Command line: ``generate.py N [-o PATH] [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of papers")
    parser.add_argument("-o", "--output", type=Path,
                        help="JSONL output (default benchmarks/data/corpus-N.jsonl)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    output = args.output or REPO / "benchmarks" / "data" / f"corpus-{args.n}.jsonl"
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        for record in generate(args.n, args.seed, args.source):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(output)
    print(f"{output}: {args.n} papers (seed {args.seed})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
