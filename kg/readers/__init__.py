"""Read papers from input files: HF papers text dumps, JSONL/JSON, CSV/TSV, arXiv Atom, BibTeX.

:func:`read_papers` detects each file's format (:func:`detect_format`, or ``fmt=`` forces one),
validates every record into a :class:`~kg.models.Paper`, normalizes text, and drops duplicates
(same id, arXiv id or title; the first wins). Invalid records raise one :class:`InputError`
before anything is returned, unless ``skip_invalid=True`` collects them in ``result.skipped``.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "papers.jsonl"
    >>> _ = path.write_text('{"id": "p1", "title": "PPO", "abstract": "We study <b>PPO</b>."}\\n')
    >>> result = read_papers([path])
    >>> [(p.id, p.abstract, p.source.endswith("papers.jsonl:1")) for p in result.papers]
    [('paper:p1', 'We study PPO.', True)]
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError
from kg.models import Paper
from kg.readers._common import (
    FORMATS,
    InvalidRecord,
    Item,
    Problem,
    build_paper,
    check_input,
    decode_bytes,
    make_paper_id,
    read_input,
    title_key,
)
from kg.readers.atom import read_atom
from kg.readers.bibtex import read_bibtex
from kg.readers.delimited import read_csv, read_tsv
from kg.readers.detect import check_format, detect_format
from kg.readers.hf_text import read_hf_text
from kg.readers.json_doc import read_json
from kg.readers.jsonl import read_jsonl

__all__ = ["FORMATS", "Problem", "ReadResult", "detect_format", "iter_papers", "read_papers"]

READERS: dict[str, Callable[[str, str], Iterator[Item]]] = {
    "hf-text": read_hf_text,
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "tsv": read_tsv,
    "atom": read_atom,
    "bibtex": read_bibtex,
}
"""Format name -> function yielding raw records and problems from decoded text."""

FIX_HINT = "fix the line or pass --skip-invalid"


@dataclass
class ReadResult:
    """What :func:`read_papers` found.

    Attributes:
        papers: Valid, deduplicated papers in input order.
        skipped: Invalid records that were left out (only with ``skip_invalid=True``).
        warnings: Records kept with a caveat, dropped duplicates, decoding fallbacks.
    """

    papers: list[Paper] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


class _Deduplicator:
    """First-wins duplicate detection on paper id, arXiv id and normalized title."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], tuple[Paper, str]] = {}

    def check(self, paper: Paper, location: str) -> tuple[Paper, tuple[Paper, str, str] | None]:
        """Register ``paper``; return it (id made unique if needed) and the duplicate it repeats.

        The duplicate is ``(first paper, its location, the key they share)``, or None.
        """
        derived = paper.id == make_paper_id(None, paper.arxiv_id, paper.title, paper.abstract)
        tkey = ("title", title_key(paper.title)) if paper.title else None
        slug_clash = derived and not paper.arxiv_id and ("id", paper.id) in self.seen
        if slug_clash and tkey and tkey not in self.seen:
            # Different titles whose slugs share the first 80 characters: keep both papers.
            digest = hashlib.sha1(tkey[1].encode("utf-8")).hexdigest()[:8]
            paper = paper.model_copy(update={"id": f"{paper.id}-{digest}"})
        # The most telling key is named in the warning: an id the user gave beats a title match,
        # but an id derived from the title or arXiv id says nothing new.
        keys = [("arXiv id", paper.arxiv_id)] if paper.arxiv_id else []
        if not derived:
            keys.append(("id", paper.id))
        if tkey:
            keys.append(tkey)
        if derived:
            keys.append(("id", paper.id))
        for key in keys:
            if key in self.seen:
                first, first_location = self.seen[key]
                return paper, (first, first_location, key[0])
        for key in keys:
            self.seen[key] = (paper, location)
        return paper, None


def _same_content(a: Paper, b: Paper) -> bool:
    return (title_key(a.title), a.abstract.casefold()) == (
        title_key(b.title),
        b.abstract.casefold(),
    )


def read_papers(
    paths: Sequence[str | Path],
    fmt: str | None = None,
    skip_invalid: bool = False,
) -> ReadResult:
    """Read and validate papers from one or more input files.

    Args:
        paths: Input files, as the user gave them (messages use ``str(path)``; ``-`` is stdin).
        fmt: Force a format (one of :data:`FORMATS`) instead of detecting it per file.
        skip_invalid: Leave invalid records out (listed in ``skipped``) instead of failing.

    Returns:
        The papers, the skipped invalid records and the warnings.

    Raises:
        InputError: For a missing, empty, binary or unparseable file, an unknown ``fmt``, or —
            without ``skip_invalid`` — the first invalid record (with the count of the others).
    """
    result = ReadResult()
    result.papers.extend(iter_papers(paths, fmt, skip_invalid, result))
    return result


def iter_papers(
    paths: Sequence[str | Path],
    fmt: str | None = None,
    skip_invalid: bool = False,
    result: ReadResult | None = None,
) -> Iterator[Paper]:
    """:func:`read_papers` as a stream: each valid, deduplicated paper as soon as it is read.

    Skipped records and warnings are collected in ``result`` (not its ``papers``). Without
    ``skip_invalid``, no paper is yielded after the first invalid record (the run will fail):
    the rest of the input is still read, to count the invalid records for the message.

    Args:
        paths: Input files, as for :func:`read_papers`.
        fmt: Force a format, as for :func:`read_papers`.
        skip_invalid: Leave invalid records out instead of failing.
        result: Where the skipped records and the warnings go (a new one when None).

    Yields:
        The papers, in input order.

    Raises:
        InputError: As :func:`read_papers`, once the input is read.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if fmt is not None:
        check_format(fmt)
    if result is None:
        result = ReadResult()
    for path in paths:
        check_input(path)
    dedup = _Deduplicator()
    for path in paths:
        name, data = read_input(path)
        decoded = decode_bytes(data, name)
        del data  # the bytes are not needed once decoded (a 140 MB file held twice otherwise)
        result.warnings.extend(Problem(name, None, message) for message in decoded.warnings)
        file_format = fmt or detect_format(path, decoded.text)
        found = 0
        for item in READERS[file_format](decoded.text, name):
            found += 1
            if isinstance(item, Problem):
                result.skipped.append(item)
                continue
            location = f"{name}:{item.line}" if item.line is not None else name
            try:
                built = build_paper(item, location)
            except InvalidRecord as exc:
                result.skipped.append(Problem(name, item.line, str(exc)))
                continue
            result.warnings.extend(Problem(name, item.line, message) for message in built.warnings)
            paper, duplicate = dedup.check(built.paper, location)
            if duplicate is None:
                if skip_invalid or not result.skipped:
                    yield paper
                continue
            first, first_location, key = duplicate
            if not _same_content(first, paper):
                result.warnings.append(
                    Problem(
                        name,
                        item.line,
                        f"duplicate of {first.id} read at {first_location} (same {key}) with "
                        "different content; kept the first",
                    )
                )
        if found == 0:
            result.warnings.append(Problem(name, None, f"no papers found (read as {file_format})"))
    if result.skipped and not skip_invalid:
        first_problem, more = result.skipped[0], len(result.skipped) - 1
        # Messages that already say how to fix the record only gain the --skip-invalid way out.
        hint = " or pass --skip-invalid" if " — " in first_problem.message else f" — {FIX_HINT}"
        message = f"{first_problem}{hint}"
        if more:
            message += f" (and {more} more invalid record{'s' if more > 1 else ''})"
        raise InputError(message)
