#!/usr/bin/env python
"""Fuzz every kg reader with hypothesis-generated input and report what broke.

Four kinds of input per format (and for format detection): arbitrary bytes, format-like text
assembled from syntax fragments, mutations (byte flips, cuts, splices, duplications) of the
real-format fixtures in tests/fixtures, and well-formed files of random records (hostile field
values: HTML, LaTeX, control characters, wrong types, empty strings). A failure is any exception
other than InputError, an InputError message that is not one line naming the file, or a paper
that breaks the reader's guarantees (empty id, control characters, duplicate ids). Inputs slower
than --slow seconds are listed too.

Usage:
    python scripts/fuzz_readers.py 20000            # 20000 inputs in total
    python scripts/fuzz_readers.py 2000 --seed 7 --show 5
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
import unicodedata
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.errors import InputError  # noqa: E402
from kg.readers import FORMATS, read_papers  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = {
    "hf-text": ["hf-papers-small.txt", "bad/crlf.txt"],
    "jsonl": [
        "papers.jsonl",
        "bad/wrong-types.jsonl",
        "bad/html-latex.jsonl",
        "bad/duplicates.jsonl",
    ],
    "json": ["papers-array.json", "papers-object.json"],
    "csv": ["papers.csv", "bad/quoted-newlines.csv"],
    "tsv": ["papers.tsv"],
    "atom": ["arxiv-query.atom.xml", "bad/arxiv-error.atom.xml"],
    "bibtex": ["zotero-export.bib", "bad/unbalanced.bib"],
}
PIECES = [
    "@article{",
    "@misc(",
    "}",
    "{",
    ")",
    "title = ",
    "abstract=",
    "author = {A and B}",
    ",",
    "\n",
    '"',
    "<entry>",
    "</entry>",
    "<title>",
    "</title>",
    "<summary>",
    "</summary>",
    "<id>",
    "</id>",
    "&amp;",
    "&lol;",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    '\\"o',
    "{\\'\\i}",
    "$",
    "\t",
    "\r\n",
    "Subscribe",
    "Get trending papers in your email inbox!",
    "[",
    "]",
    ":",
    "\u200b",
    "\ufeff",
    "http://",
    "arxiv.org/abs/2409.00588v2",
    "<b>",
    "</b>",
    '@string{a = "b"}',
    "% c",
    "\\",
    "''",
    '{"title": ',
    '"abstract": ',
    '"authors": [',
    "null",
    "1e999",
    '"\\ud800"',
    "title,abstract\n",
    "title\tabstract\n",
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "</feed>",
    "\u2028",
]
UNWANTED = {"Cc", "Cf", "Cs", "Zl", "Zp"}
FIELDS = ["title", "abstract", "summary", "id", "url", "arxiv_id", "authors", "published", "year"]
VALUE_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.sampled_from(
        [
            "",
            " ",
            "2409.00588v2",
            "https://arxiv.org/abs/1707.06347",
            "htp:/x",
            "2024-13-01",
            "Schulman, John and Wolski, Filip",
            "<b>PPO</b> &amp; {\\'e}",
        ]
    ),
)
JSON_VALUE = st.one_of(
    VALUE_TEXT,  # strings three times as often as other types: most records should be readable
    VALUE_TEXT,
    VALUE_TEXT,
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.lists(VALUE_TEXT, max_size=3),
    st.dictionaries(VALUE_TEXT, VALUE_TEXT, max_size=2),
)
RECORDS = st.lists(st.dictionaries(st.sampled_from(FIELDS), JSON_VALUE, max_size=6), max_size=6)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(fmt: str | None, records: list[dict[str, object]]) -> bytes:
    """Write ``records`` as a syntactically valid file of format ``fmt`` (JSONL when None)."""
    import csv
    import io
    import json

    text_records = [
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in r.items()} for r in records
    ]
    if fmt in (None, "jsonl"):
        out = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    elif fmt == "json":
        out = json.dumps({"papers": records}, ensure_ascii=False)
    elif fmt in ("csv", "tsv"):
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=FIELDS, delimiter="," if fmt == "csv" else "\t")
        writer.writeheader()
        writer.writerows(text_records)
        out = buf.getvalue()
    elif fmt == "atom":
        entries = "".join(
            "<entry>" + "".join(f"<{k}>{_xml_escape(v)}</{k}>" for k, v in r.items()) + "</entry>"
            for r in text_records
        )
        out = f'<feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
    elif fmt == "bibtex":
        out = "".join(
            f"@article{{key{i},\n"
            + "".join(f"  {k} = {{{v.replace('{', '').replace('}', '')}}},\n" for k, v in r.items())
            + "}\n"
            for i, r in enumerate(text_records)
        )
    else:  # hf-text
        out = "".join(f"{r.get('title', '')}\n{r.get('abstract', '')}\n" for r in text_records)
    return out.encode("utf-8", "surrogatepass")


def mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    """Apply (kind, position, value) mutations to ``data``."""
    buf = bytearray(data)
    for kind, pos, value in ops:
        if not buf:
            buf.extend(bytes([value]))
            continue
        pos %= len(buf)
        if kind == 0:  # flip a byte
            buf[pos] = value
        elif kind == 1:  # cut the rest
            del buf[pos:]
        elif kind == 2:  # delete a span
            del buf[pos : pos + value % 64 + 1]
        elif kind == 3:  # duplicate a span
            span = buf[pos : pos + value % 200 + 1]
            buf[pos:pos] = span
        elif kind == 4:  # insert a syntax fragment
            buf[pos:pos] = PIECES[value % len(PIECES)].encode("utf-8", "surrogatepass")
    return bytes(buf)


class Stats:
    """Counts of what happened, and the failing inputs."""

    def __init__(self) -> None:
        self.tried = 0
        self.outcomes: Counter[str] = Counter()
        self.failures: list[tuple[str, str, bytes, str]] = []
        self.slow: list[tuple[str, str, float, bytes]] = []


def check_result(result, name: str) -> str | None:  # type: ignore[no-untyped-def]
    ids = set()
    for paper in result.papers:
        if not paper.id.startswith("paper:") or paper.id == "paper:":
            return f"bad id {paper.id!r}"
        if paper.id in ids:
            return f"duplicate id {paper.id!r}"
        ids.add(paper.id)
        if not (paper.title or paper.abstract):
            return "paper without title and abstract"
        for text in (paper.title, paper.abstract):
            if text != text.strip() or "  " in text:
                return "text not whitespace-normalized"
            if any(unicodedata.category(ch) in UNWANTED for ch in text):
                return "control/format character left in text"
    for problem in [*result.skipped, *result.warnings]:
        if "\n" in str(problem) or not str(problem).startswith(name):
            return f"problem not one line naming the file: {str(problem)[:120]!r}"
    return None


def run_one(
    stats: Stats, path: Path, fmt: str | None, data: bytes, label: str, slow: float
) -> None:
    path.write_bytes(data)
    stats.tried += 1
    start = time.perf_counter()
    for skip in (True, False):
        try:
            result = read_papers([path], fmt=fmt, skip_invalid=skip)
        except InputError as exc:
            message = str(exc)
            if "\n" in message or not message.startswith(str(path)):
                stats.failures.append((label, f"InputError message: {message[:200]!r}", data, ""))
            stats.outcomes[f"{label}: InputError"] += 1
            continue
        except Exception as exc:
            stats.failures.append(
                (label, f"{type(exc).__name__}: {exc}"[:300], data, traceback.format_exc())
            )
            stats.outcomes[f"{label}: crash"] += 1
            return
        issue = check_result(result, str(path))
        if issue:
            stats.failures.append((label, issue, data, ""))
        stats.outcomes[f"{label}: ok ({'some papers' if result.papers else 'no papers'})"] += 1
    elapsed = time.perf_counter() - start
    if elapsed > slow:
        stats.slow.append((label, fmt or "auto", elapsed, data))


def _fuzz_format(
    stats: Stats,
    fmt: str | None,
    path: Path,
    seeds: list[bytes],
    cfg: settings,
    seed_value: int,
    slow: float,
) -> None:
    label = fmt or "auto"

    @seed(seed_value)
    @cfg
    @given(st.binary(max_size=2000))
    def by_bytes(data: bytes) -> None:
        run_one(stats, path, fmt, data, f"{label}/bytes", slow)

    @seed(seed_value)
    @cfg
    @given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=30)), max_size=80))
    def by_text(parts: list[str]) -> None:
        data = "".join(parts).encode("utf-8", "surrogatepass")
        run_one(stats, path, fmt, data, f"{label}/text", slow)

    @seed(seed_value)
    @cfg
    @given(
        st.sampled_from(range(len(seeds))),
        st.lists(
            st.tuples(st.integers(0, 4), st.integers(0, 10**6), st.integers(0, 255)),
            min_size=1,
            max_size=8,
        ),
    )
    def by_mutation(index: int, ops: list[tuple[int, int, int]]) -> None:
        run_one(stats, path, fmt, mutate(seeds[index], ops), f"{label}/mutant", slow)

    @seed(seed_value)
    @cfg
    @given(RECORDS)
    def by_records(records: list[dict[str, object]]) -> None:
        run_one(stats, path, fmt, render(fmt, records), f"{label}/records", slow)

    for run in (by_bytes, by_text, by_mutation, by_records):
        run()


def fuzz(total: int, seed_value: int, slow: float) -> Stats:
    stats = Stats()
    formats: list[str | None] = [*FORMATS, None]
    kinds = ("bytes", "text", "mutant", "records")
    per_run = max(1, total // (len(formats) * len(kinds)))
    tmp = Path(tempfile.mkdtemp(prefix="kg-fuzz-"))
    cfg = settings(
        max_examples=per_run,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    for fmt in formats:
        ext = {"hf-text": "txt", "atom": "xml", "bibtex": "bib", None: "dat"}.get(fmt, fmt)
        names = SEEDS[fmt] if fmt else [p for names in SEEDS.values() for p in names]
        seeds = [(FIXTURES / name).read_bytes() for name in names]
        _fuzz_format(stats, fmt, tmp / f"fuzz.{ext}", seeds, cfg, seed_value, slow)
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=2000, help="total inputs (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--slow", type=float, default=2.0, help="report inputs slower than this (s)"
    )
    parser.add_argument("--save-slow", default="", help="write slow inputs to PREFIX-<n>")
    parser.add_argument("--show", type=int, default=3, help="failing inputs to print")
    args = parser.parse_args()
    start = time.perf_counter()
    stats = fuzz(args.n, args.seed, args.slow)
    elapsed = time.perf_counter() - start
    print(f"inputs tried: {stats.tried} in {elapsed:.1f}s (seed {args.seed})")
    print(f"failures: {len(stats.failures)}")
    print(f"slow inputs (> {args.slow}s): {len(stats.slow)}")
    print("outcomes per read (every input is read twice: skip_invalid on and off):")
    for outcome, count in sorted(stats.outcomes.items()):
        print(f"  {outcome}: {count}")
    kinds = Counter((label, message.split(":")[0]) for label, message, _, _ in stats.failures)
    for (label, kind), count in kinds.most_common():
        print(f"  FAIL {label}: {kind} x{count}")
    for label, message, data, trace in stats.failures[: args.show]:
        print(f"--- {label}: {message}\n    input: {data[:300]!r}")
        if trace:
            print("    " + trace.strip().splitlines()[-3].strip())
    for label, fmt, seconds, data in stats.slow[: args.show]:
        print(f"--- slow {label} ({fmt}): {seconds:.2f}s for {len(data)} bytes")
        print(f"    input: {data[:300]!r}")
    if stats.slow and args.save_slow:
        for i, (_, _, _, data) in enumerate(stats.slow):
            Path(f"{args.save_slow}-{i}").write_bytes(data)
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
