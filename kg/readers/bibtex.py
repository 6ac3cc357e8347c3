"""Reader for BibTeX files (Zotero, Google Scholar, arXiv exports) whose entries carry ``abstract``.

Entries are first located line by line so that each keeps its line number and an entry with
unbalanced braces is reported on its own instead of swallowing the rest of the file; the balanced
entries are then parsed by bibtexparser 1.x (``@string`` macros and month names included). LaTeX
accents and braces are converted to Unicode (``Schr{\\"o}dinger`` -> ``Schrödinger``).

Example:
    >>> bib = ('@misc{s17, title={Proximal {Policy} Optimization}, eprint={1707.06347},\\n'
    ...        ' abstract={We study {PPO}.}}')
    >>> [(r.line, r.fields["arxiv_id"][1]) for r in read_bibtex(bib, "refs.bib")]
    [(1, '1707.06347')]
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import bibtexparser
from bibtexparser.bparser import BibTexParser

from kg.errors import InputError
from kg.readers._common import Item, Problem, RawRecord, clean_text, parse_arxiv_id

_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*([{(])[ \t]*([^,\s{}()]*)", re.M)
_NOT_ENTRIES = ("comment", "string", "preamble")
_ESCAPED_BRACE = re.compile(r"\\[{}]")
_BRACE = re.compile(r"[{}]")
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_ACCENT = re.compile(
    r"\{?\\(?P<cmd>['`^\"~=.]|[uvHckrdb](?=[\s{]))\s*"
    r"(?:\{\s*(?P<braced>\\[ij]|[A-Za-z])\s*\}|(?P<bare>\\[ij](?![A-Za-z])|[A-Za-z]))\}?"
)
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
}
_LETTER = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|[oOlLij])(?![A-Za-z])(?:\{\}|\s)?")
_ESCAPE = re.compile(r"\\([&%_#$])")
_MATH_SPLIT = re.compile(r"(?<!\\)\$")
_TIE = re.compile(r"(?<!\\)~")
_FIELD_AFTER = re.compile(r"\s*,?\s*[A-Za-z][\w-]*\s*=")
_ARXIV_MENTION = re.compile(r"arxiv[:\s]*(?:abs/)?(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})", re.I)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_LATEX_MARKUP = re.compile(
    r"\\(?:emph|textit|textbf|texttt|textsc|textrm|textsf|mbox|url)\s*(?=\{)"
)


@dataclass(frozen=True)
class _Chunk:
    line: int
    kind: str
    key: str
    text: str


def _chunks(text: str) -> list[_Chunk]:
    starts = list(_ENTRY_START.finditer(text))
    chunks = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        line = text.count("\n", 0, match.start()) + 1
        chunks.append(
            _Chunk(line, match.group(1).lower(), match.group(3), text[match.start() : end])
        )
    return chunks


def _brace_problem(chunk: _Chunk) -> str | None:
    """Why an entry's braces do not balance, or None when they do."""
    body = _ESCAPED_BRACE.sub("  ", chunk.text)  # same length, so offsets map to lines
    start = _ENTRY_START.match(body)
    paren_delimited = start is not None and start.group(2) == "("
    depth = 0
    for brace in _BRACE.finditer(body):
        offset = brace.start()
        if brace.group() == "{":
            depth += 1
            continue
        depth -= 1
        closed_early = depth == 0 and not paren_delimited and _FIELD_AFTER.match(body, offset + 1)
        if depth < 0 or closed_early:
            return f'an extra "}}" on line {chunk.line + body.count(chr(10), 0, offset)}'
        if depth == 0 and not paren_delimited:
            return None  # text after the closing brace is a BibTeX comment
    return f'{depth} "{{" not closed' if depth > 0 else None


def _accent(match: re.Match[str]) -> str:
    base = match.group("braced") or match.group("bare")
    base = {"\\i": "i", "\\j": "j"}.get(base, base)
    return unicodedata.normalize("NFC", base + _ACCENTS[match.group("cmd")])


def _outside_math(text: str, fn: Any) -> str:
    parts = _MATH_SPLIT.split(text)
    # Odd parts sit between unescaped "$" signs: maths, where braces and commands carry meaning.
    return "$".join(part if i % 2 else fn(part) for i, part in enumerate(parts))


def _clean(value: str) -> str:
    """LaTeX text -> Unicode: accents, special letters, escapes, ties, dashes; braces dropped."""
    value = _LATEX_MARKUP.sub("", value)
    value = _ACCENT.sub(_accent, value)
    value = _LETTER.sub(lambda m: _LETTERS[m.group(1)], value)
    value = _ESCAPE.sub(r"\1", value)
    value = _TIE.sub(" ", value)
    return _outside_math(
        value,
        lambda part: (
            part.replace("---", "\u2014").replace("--", "\u2013").replace("{", "").replace("}", "")
        ),
    )


@contextmanager
def _quiet_bibtexparser() -> Iterator[None]:
    """Keep bibtexparser's log warnings off stderr: the library never prints, the CLI does."""
    logger = logging.getLogger("bibtexparser")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def read_bibtex(text: str, name: str) -> Iterator[Item]:
    """Yield one raw record (or problem) per BibTeX entry.

    Args:
        text: The decoded file.
        name: The file name for messages.

    Yields:
        RawRecord per parsed entry; Problem for entries with unbalanced braces or that
        bibtexparser cannot parse.

    Raises:
        InputError: When the file holds no BibTeX entries at all.
    """
    chunks = _chunks(text)
    if not chunks:
        raise InputError(f"{name}: no BibTeX entries (lines starting with @type{{key, ...) found")
    problems: dict[int, Problem] = {}
    good: list[_Chunk] = []
    for index, chunk in enumerate(chunks):
        if chunk.kind == "comment":
            continue
        issue = _brace_problem(chunk)
        if issue is not None:
            label = f'entry "{chunk.key}"' if chunk.key else f"@{chunk.kind} entry"
            problems[index] = Problem(
                name, chunk.line, f"{label} has unbalanced braces ({issue}) — fix the braces"
            )
        else:
            good.append(chunk)
    parser = BibTexParser(
        common_strings=True, ignore_nonstandard_types=False, interpolate_strings=True
    )
    try:
        with _quiet_bibtexparser():
            entries = bibtexparser.loads("\n".join(c.text for c in good), parser=parser).entries
    except Exception as exc:
        reason = clean_text(f"{type(exc).__name__}: {exc}")[:200]
        raise InputError(
            f"{name}: cannot parse BibTeX ({reason}) — check the file's syntax"
        ) from None
    parsed = iter(entries)
    pending = next(parsed, None)
    results: dict[int, Item] = dict(problems)
    for index, chunk in enumerate(chunks):
        if index in problems or chunk.kind in _NOT_ENTRIES:
            continue
        if pending is not None and pending.get("ID") == chunk.key:
            results[index] = _record(pending, chunk.line)
            pending = next(parsed, None)
        else:
            label = f'entry "{chunk.key}"' if chunk.key else f"@{chunk.kind} entry"
            results[index] = Problem(
                name,
                chunk.line,
                f"{label} cannot be parsed — check the commas between fields and the "
                "quotes/braces around values",
            )
    for index in sorted(results):
        yield results[index]


def _record(entry: dict[str, Any], line: int) -> RawRecord:
    get = {k.lower(): v for k, v in entry.items() if isinstance(v, str)}
    fields: dict[str, tuple[str, Any]] = {}
    for key in ("title", "abstract"):
        if key in get:
            fields[key] = (key, _clean(get[key]))
    if "author" in get:
        fields["authors"] = ("author", _clean(get["author"]))
    arxiv_id = None
    prefix = get.get("archiveprefix", get.get("eprinttype", "arxiv")).strip().lower()
    if "eprint" in get and prefix == "arxiv":
        arxiv_id = parse_arxiv_id(get["eprint"])
    for key in ("url", "doi"):
        if arxiv_id is None and key in get:
            arxiv_id = parse_arxiv_id(get[key].split()[0]) if get[key].split() else None
    for key in ("journal", "note", "howpublished", "number", "volume"):
        if arxiv_id is None and key in get:
            mention = _ARXIV_MENTION.search(get[key])
            arxiv_id = mention.group(1) if mention else None
    if arxiv_id:
        fields["arxiv_id"] = ("eprint", arxiv_id)
    if get.get("url", "").strip():
        fields["url"] = ("url", get["url"].strip())
    elif get.get("doi", "").strip():
        doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", get["doi"].strip(), flags=re.I)
        fields["url"] = ("doi", f"https://doi.org/{doi}")
    published = get.get("date") or _year_month(get.get("year", ""), get.get("month", ""))
    if published:
        fields["published"] = ("date" if "date" in get else "year", published)
    return RawRecord(line, fields)


def _year_month(year: str, month: str) -> str:
    year = year.strip()
    if not re.fullmatch(r"\d{4}", year):
        return year
    month = month.strip().lower()
    number = int(month) if month.isdigit() else _MONTHS.get(month[:3])
    return f"{year}-{number:02d}" if number and 1 <= number <= 12 else year
