"""Shared pieces of the readers: problems, decoding, text cleaning and record validation.

Every format module turns its input into :class:`RawRecord` items (a line number and a mapping of
field names to raw values) or :class:`Problem` items; :func:`build_paper` validates a raw record and
returns a :class:`~kg.models.Paper` (or the problem that makes it invalid), so type checks, text
normalization and id rules live in one place for all formats.

Example:
    >>> clean_text("H<sub>2</sub>O &amp; CO\\u200b2\\n  gas")
    'H2O & CO2 gas'
    >>> parse_arxiv_id("https://arxiv.org/abs/2409.00588v2")
    '2409.00588'
"""

from __future__ import annotations

import codecs
import hashlib
import html
import os
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kg.errors import InputError
from kg.models import Paper
from kg.models import slug as _slug

FORMATS: tuple[str, ...] = ("hf-text", "jsonl", "json", "csv", "tsv", "atom", "bibtex")
"""Every input format kg reads (the values of ``fmt=`` / ``--format``)."""

FORMAT_HINT = "kg reads HF papers text dumps, JSONL, JSON, CSV/TSV, arXiv Atom XML and BibTeX"


@dataclass(frozen=True)
class Problem:
    """Something wrong with one input record (or file): where it is and what is wrong.

    ``str(problem)`` is ``"file:line: message"`` (``"file: message"`` when the line is unknown).
    """

    file: str
    line: int | None
    message: str

    @property
    def location(self) -> str:
        """``file:line`` (or just ``file``)."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True)
class RawRecord:
    """One record as a format module found it, before validation.

    ``fields`` maps canonical field names (``title``, ``abstract``, ``id``, ``url``, ``arxiv_id``,
    ``authors``, ``published``, ``source``) to ``(name the user wrote, raw value)``.
    """

    line: int | None
    fields: Mapping[str, tuple[str, Any]]
    warnings: tuple[str, ...] = ()


Item = RawRecord | Problem


@dataclass
class Decoded:
    """The text of an input file and any warning about how it was decoded."""

    text: str
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Decoding


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed; decompress it first"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document); extract or export it first"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xfd7zXZ\x00", "xz-compressed; decompress it first"),
)


_BLANK = re.compile("[ \t\r\n\f\v\ufeff]*")


def _utf16_without_bom(sample: bytes) -> str | None:
    """Guess UTF-16 without a BOM from where the NUL bytes sit (ASCII-heavy text)."""
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.9 * half and even.count(0) < 0.1 * half:
        return "utf-16-le"
    if even.count(0) > 0.9 * half and odd.count(0) < 0.1 * half:
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    if "\x00" in sample:
        return True
    bad = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    return bad > max(2, len(sample) // 50)


def decode_bytes(data: bytes, name: str) -> Decoded:
    """Decode an input file: BOMs (UTF-8/16/32), UTF-8, then Latin-1 with a warning.

    Args:
        data: The raw bytes of the file.
        name: The file name as the user gave it (for messages).

    Returns:
        The decoded text (BOM removed) and decoding warnings.

    Raises:
        InputError: When the file is empty, or binary rather than text.
    """
    binary = f"{name}: binary file, not text — {FORMAT_HINT}"
    # isspace() instead of strip(): no copy of a file that may be hundreds of megabytes
    if not data or data.isspace():
        raise InputError(f"{name}: empty file — expected papers ({FORMAT_HINT})")
    if re.match(rb"BZh[1-9]1AY&SY", data):
        raise InputError(
            f"{name}: binary file (bzip2-compressed; decompress it first), not text — {FORMAT_HINT}"
        )
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"{name}: binary file ({what}), not text — {FORMAT_HINT}")
    warnings: list[str] = []
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is not None:
        bom_len = next(len(bom) for bom, enc in _BOMS if enc == encoding and data.startswith(bom))
        try:
            text = data[bom_len:].decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: starts with a {encoding.upper()} byte-order mark but is not valid "
                f"{encoding.upper()} (byte {exc.start + bom_len}) — re-save it as UTF-8"
            ) from None
    else:
        guessed = _utf16_without_bom(data[:4096])
        if guessed is not None:
            try:
                text = data.decode(guessed)
            except UnicodeDecodeError:
                raise InputError(binary) from None
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                if b"\x00" in data[:8192]:
                    raise InputError(binary) from None
                line = data.count(b"\n", 0, exc.start) + 1
                # Windows-1252 is what "Latin-1" files from Windows really are (curly quotes in
                # 0x80-0x9f); plain Latin-1 decodes every byte, so it is the last resort.
                try:
                    text = data.decode("cp1252")
                except UnicodeDecodeError:
                    text = data.decode("latin-1")
                warnings.append(
                    f"not valid UTF-8 (first bad byte on line {line}); read as Latin-1 — "
                    "re-save the file as UTF-8 if characters look wrong"
                )
    if _looks_binary(text):
        raise InputError(binary)
    if _BLANK.fullmatch(text):
        raise InputError(f"{name}: empty file — expected papers ({FORMAT_HINT})")
    return Decoded(text.lstrip("\ufeff"), warnings)


_PATH_ERRORS = {
    "missing": "{name}: no such file",
    "directory": "{name}: is a directory, not a file — pass the paper files in it",
    "unreadable": "{name}: permission denied",
}


def read_input(path: str | Path) -> tuple[str, bytes]:
    """Read a file's bytes (``-`` is standard input).

    Args:
        path: The path as the user gave it.

    Returns:
        ``(name, data)`` where ``name`` is ``str(path)`` (``<stdin>`` for ``-``).

    Raises:
        InputError: When the file is missing, a directory or unreadable.
    """
    name = str(path)
    if name == "-":
        return "<stdin>", sys.stdin.buffer.read()
    p = Path(path)
    try:
        return name, p.read_bytes()
    except FileNotFoundError:
        raise InputError(_PATH_ERRORS["missing"].format(name=name)) from None
    except IsADirectoryError:
        raise InputError(_PATH_ERRORS["directory"].format(name=name)) from None
    except PermissionError:
        raise InputError(_PATH_ERRORS["unreadable"].format(name=name)) from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def check_input(path: str | Path) -> None:
    """Fail early, as :func:`read_input` would, for a path that is missing, a directory or
    unreadable (``-``, standard input, always passes): a stream over several files checks them
    all before working on the first.

    Raises:
        InputError: The message :func:`read_input` gives for the same path.
    """
    name = str(path)
    if name == "-":
        return
    p = Path(path)
    problem = ("directory" if p.is_dir() else "missing" if not p.exists()
               else "unreadable" if not os.access(p, os.R_OK) else None)
    if problem:
        raise InputError(_PATH_ERRORS[problem].format(name=name))


def split_lines(text: str) -> list[str]:
    """Split on line ends only (LF, CRLF, or CR in old Mac files).

    Unlike ``str.splitlines`` this keeps U+2028, U+0085 and form feeds inside a line: JSON may
    hold them raw inside a string, and they are not line ends of the file.
    """
    if "\n" not in text and "\r" in text:
        return text.split("\r")
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def iter_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """``(line number, end offset, line)`` for each line of :func:`split_lines`, made lazily.

    A large file's lines are not all held at once (``split_lines`` on a 140 MB file holds
    another 140 MB of strings). The end offset is that of the line's line end in ``text`` (or
    ``len(text)`` for the last line).
    """
    sep = "\r" if "\n" not in text and "\r" in text else "\n"
    find, size = text.find, len(text)
    start, number = 0, 0
    while start <= size:
        end = find(sep, start)
        if end < 0:
            end = size
        number += 1
        line = text[start:end]
        if sep == "\n" and line.endswith("\r"):
            line = line[:-1]
        yield number, end, line
        start = end + 1


def line_starts(text: str) -> list[int]:
    """Offsets where each line of ``text`` starts (for offset -> line number lookups)."""
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


# --------------------------------------------------------------------------------------------
# Text cleaning

# Only real HTML/JATS/MathML tag names are stripped: "a<b and c>d" in an abstract is maths.
_INLINE_TAGS = (
    "a|abbr|b|big|cite|code|em|font|i|kbd|mark|q|s|samp|small|span|strike|strong|sub|sup|tt|u|var"
)
_BLOCK_TAGS = "br|p|div|li|ol|ul|h[1-6]|blockquote|section|title|table|tr|td|th|hr|pre"
_TAG = re.compile(
    rf"</?(?:(?P<ns>(?:jats|mml|xhtml|html):[a-z][\w.-]*)|(?P<block>{_BLOCK_TAGS})|(?:{_INLINE_TAGS}))"
    # Attributes must be name=value pairs: "<b and c>" in "a<b and c>d" is maths, not a tag.
    r"""(?:\s+[\w:-]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>]+))*\s*/?>""",
    re.IGNORECASE,
)
# Scraped abstracts often start with the section label; a bare "Abstract " may be a real word.
_ABSTRACT_LABEL = re.compile(r"^abstract\s*(?:[:.]|[-–—]\s)\s*", re.IGNORECASE)
_LABEL_ELEMENT = re.compile(r"<jats:title>[^<]{0,40}</jats:title>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


# Controls (Cc), format characters (Cf: zero-width, bidi marks, soft hyphen, BOM), surrogates
# (Cs, e.g. from a lone "\\ud800" escape in JSON) and line/paragraph separators (Zl, Zp), as of
# Unicode 14; a test checks the class against the running Python's unicodedata.
_UNWANTED = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)


def _drop_or_space(match: re.Match[str]) -> str:
    # Controls and line separators separate words; zero-width/format chars never do.
    return " " if unicodedata.category(match.group()) in ("Cc", "Zl", "Zp") else ""


def _tag_replacement(match: re.Match[str]) -> str:
    ns = match.group("ns")
    if match.group("block") or (
        ns and ns.split(":", 1)[1].lower() in ("p", "sec", "title", "list-item")
    ):
        return " "
    return ""


def clean_text(text: str) -> str:
    """Normalize a title or abstract for the graph.

    Strips HTML/JATS tags (``<b>``, ``<sub>``, ``<jats:p>``) and unescapes entities (``&amp;``),
    removes control and zero-width characters, applies Unicode NFC and collapses whitespace
    (newlines become spaces).

    Args:
        text: Raw text from an input record.

    Returns:
        The cleaned, single-line text.
    """
    if "<" in text and ">" in text:
        text = _LABEL_ELEMENT.sub(" ", text)
        text = _TAG.sub(_tag_replacement, text)
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    printable = text.isprintable()
    if not printable:
        text = _UNWANTED.sub(_drop_or_space, text)
    normalized = unicodedata.normalize("NFC", text)
    if normalized is not text:
        text, printable = normalized, normalized.isprintable()
    # Printable text holds no whitespace but " " (every other space is Cc or Z*), so without
    # doubled or outer spaces it is already clean: most abstracts skip the split below.
    if printable and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    # str.split() splits on the characters regex \s matches (str.isspace) and is several times
    # faster than re.sub(r"\s+", " ", text).strip() on abstracts full of single spaces.
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Field parsers

_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z][a-z-]*(?:\.[A-Za-z]{2})?/\d{7}"
_ARXIV_ID = re.compile(rf"(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?")
_ARXIV_PREFIX = re.compile(
    r"^(?:arxiv\s*:\s*|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/|"
    r"(?:https?://)?(?:www\.)?huggingface\.co/papers/|(?:https?://(?:dx\.)?doi\.org/)?10\.48550/arxiv\.)",
    re.IGNORECASE,
)
_ARXIV_IN_URL = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/|10\.48550/arxiv\.)"
    rf"(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?(?:\.pdf)?(?=$|[/?#\s])",
    re.IGNORECASE,
)


def parse_arxiv_id(value: str) -> str | None:
    """The arXiv id (without version) in an id, ``arXiv:`` string, arXiv/HF URL or arXiv DOI.

    Args:
        value: e.g. ``2409.00588v2``, ``arXiv:2409.00588``, ``https://arxiv.org/pdf/2409.00588v1.pdf``.

    Returns:
        ``"2409.00588"`` (old style ``"hep-th/9901001"``), or None when ``value`` holds none.
    """
    text = _ARXIV_PREFIX.sub("", value.strip())
    if text.lower().endswith(".pdf"):
        text = text[:-4]
    match = _ARXIV_ID.fullmatch(text.strip("/"))
    return match.group("id") if match else None


def arxiv_id_in_url(url: str) -> str | None:
    """The arXiv id an arxiv.org or huggingface.co/papers URL points at, if any."""
    match = _ARXIV_IN_URL.search(url)
    return match.group("id") if match else None


_BARE_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/?#]\S*)?$", re.I)


def normalize_url(value: str) -> str | None:
    """An http(s) URL with a host, or None when ``value`` is not one (``www.x.org`` gains https)."""
    url = value.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if "://" not in url and _BARE_DOMAIN.match(url):
        url = "https://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "." not in host.strip("."):
        return None
    return url


_DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %Y", "%B %Y", "%Y/%m/%d")
_ISO = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2\d\d\d)(?!\d)")


def parse_published(value: str | int) -> str | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` from a date/datetime string or a year.

    Returns:
        The ISO date (or year), or None when no date can be found.
    """
    if isinstance(value, int):
        return str(value) if 1000 <= value <= 2999 else None
    text = value.strip()
    match = _ISO.fullmatch(text)
    if match:
        year, month, day = match.groups()
        try:
            if day:
                return date(int(year), int(month), int(day)).isoformat()
            if month:
                return date(int(year), int(month), 1).isoformat()[:7]
        except ValueError:
            return None
        return year
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.date().isoformat() if "%d" in fmt else parsed.date().isoformat()[:7]
    year_match = _YEAR.search(text)
    return year_match.group(1) if year_match else None


def split_authors(text: str) -> list[str]:
    """Split an author string: ``"A and B"`` (BibTeX ``Last, First`` -> ``First Last``),
    ``"A; B"`` or ``"A, B"``."""
    text = clean_text(text)
    if not text:
        return []
    if re.search(r"\sand\s", text):
        names = []
        for part in re.split(r"\s+and\s+", text):
            if part.lower() in ("others", "et al.", "et al"):
                continue
            if part.count(",") == 1:
                last, first = (s.strip() for s in part.split(","))
                part = f"{first} {last}".strip()
            names.append(part)
        return [n for n in names if n]
    sep = ";" if ";" in text else ","
    return [n.strip() for n in text.split(sep) if n.strip()]


def type_name(value: Any) -> str:
    """JSON-ish name of a value's type for messages ("a list", "an object", "a number")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


# --------------------------------------------------------------------------------------------
# Record mapping and validation

# Canonical field -> accepted input names, most specific first (matched case-insensitively).
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "paper_id", "paperid"),
    "title": ("title",),
    "abstract": ("abstract", "summary"),
    "url": ("url", "link", "abs_url", "paper_url"),
    "arxiv_id": ("arxiv_id", "arxivid", "arxiv", "eprint"),
    "authors": ("authors", "author"),
    "published": ("published", "date", "published_at", "publishedat", "publication_date", "year"),
    "source": ("source",),
}


def _norm_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def map_fields(record: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Map a record's keys (any case, synonyms) to canonical fields.

    Among synonyms the most specific non-empty one wins (``abstract`` before ``summary``).
    """
    fields: dict[str, tuple[str, Any]] = {}
    for canonical, keys in _field_plan(tuple(record)):
        if len(keys) == 1:
            fields[canonical] = (keys[0], record[keys[0]])
        else:
            present = [(key, record[key]) for key in keys]
            fields[canonical] = next((kv for kv in present if not _is_empty(kv[1])), present[0])
    return fields


@lru_cache(maxsize=256)
def _field_plan(keys: tuple[Any, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(canonical field, the record keys naming it, most specific first) for a record's keys.

    Records of one file share their keys, so the plan is worked out once per key set.
    """
    by_name: dict[str, str] = {}
    for key in keys:
        if isinstance(key, str):
            by_name.setdefault(_norm_key(key), key)
    plan = []
    for canonical, names in FIELD_NAMES.items():
        present = tuple(by_name[name] for name in names if name in by_name)
        if present:
            plan.append((canonical, present))
    return tuple(plan)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class InvalidRecord(Exception):
    """Raised inside :func:`build_paper` for a record that cannot become a Paper."""


def _text_field(fields: Mapping[str, tuple[str, Any]], name: str) -> str:
    key, value = fields.get(name, (name, None))
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRecord(f'field "{key}" must be a string (got {type_name(value)})')
    return clean_text(value)


@dataclass(frozen=True)
class Built:
    """A validated paper, the keys it deduplicates on, and warnings about its record."""

    paper: Paper
    warnings: tuple[str, ...]


def build_paper(record: RawRecord, location: str) -> Built:
    """Validate a raw record and turn it into a Paper.

    Args:
        record: The record as a format module found it.
        location: ``file:line`` of the record (the default ``Paper.source``).

    Returns:
        The paper and warnings (empty title, unusable url, ...).

    Raises:
        InvalidRecord: With the message for the user when the record is invalid.
    """
    fields = record.fields
    warnings: list[str] = list(record.warnings)
    title = _text_field(fields, "title")
    abstract = _text_field(fields, "abstract")
    abstract = _ABSTRACT_LABEL.sub("", abstract, count=1)
    if not title and not abstract:
        raise InvalidRecord('no "title" and no "abstract" — a paper needs at least one of them')
    if not title:
        warnings.append("no title; kept with an empty title")
    elif not abstract:
        warnings.append("no abstract; only the title will be used")

    url: str | None = None
    url_key, raw_url = fields.get("url", ("url", None))
    if raw_url is not None:
        if not isinstance(raw_url, str):
            raise InvalidRecord(f'field "{url_key}" must be a string (got {type_name(raw_url)})')
        if raw_url.strip():
            url = normalize_url(raw_url)
            if url is None:
                shown = clean_text(raw_url)[:80]
                warnings.append(f'field "{url_key}" is not an http(s) URL ("{shown}"); ignored')

    arxiv_id: str | None = None
    ax_key, raw_ax = fields.get("arxiv_id", ("arxiv_id", None))
    if raw_ax is not None:
        if not isinstance(raw_ax, str):
            raise InvalidRecord(f'field "{ax_key}" must be a string (got {type_name(raw_ax)})')
        if raw_ax.strip():
            arxiv_id = parse_arxiv_id(raw_ax)
            if arxiv_id is None:
                warnings.append(
                    f'field "{ax_key}" is not an arXiv id ("{clean_text(raw_ax)[:40]}"); ignored'
                )
    if arxiv_id is None and url is not None:
        arxiv_id = arxiv_id_in_url(url)

    authors: tuple[str, ...] = ()
    au_key, raw_au = fields.get("authors", ("authors", None))
    if isinstance(raw_au, str):
        authors = tuple(split_authors(raw_au))
    elif isinstance(raw_au, (list, tuple)):
        names = []
        for i, item in enumerate(raw_au, 1):
            if isinstance(item, dict):
                item = item.get("name") or " ".join(
                    str(item[k]) for k in ("given", "family") if isinstance(item.get(k), str)
                )
            if not isinstance(item, str):
                raise InvalidRecord(
                    f'field "{au_key}" must be a list of names (item {i} is {type_name(item)})'
                )
            name = clean_text(item)
            if name:
                names.append(name)
        authors = tuple(names)
    elif raw_au is not None:
        raise InvalidRecord(
            f'field "{au_key}" must be a list of names or a string (got {type_name(raw_au)})'
        )

    published: str | None = None
    pub_key, raw_pub = fields.get("published", ("published", None))
    if raw_pub is not None and not (isinstance(raw_pub, str) and not raw_pub.strip()):
        if isinstance(raw_pub, bool) or not isinstance(raw_pub, (str, int)):
            raise InvalidRecord(
                f'field "{pub_key}" must be a date string or a year (got {type_name(raw_pub)})'
            )
        published = parse_published(raw_pub)
        if published is None:
            warnings.append(
                f'field "{pub_key}" is not a date ("{clean_text(str(raw_pub))[:40]}"); ignored'
            )

    source = location
    src_key, raw_src = fields.get("source", ("source", None))
    if raw_src is not None:
        if not isinstance(raw_src, str):
            raise InvalidRecord(f'field "{src_key}" must be a string (got {type_name(raw_src)})')
        if raw_src.strip():
            source = clean_text(raw_src)

    record_id: str | None = None
    id_key, raw_id = fields.get("id", ("id", None))
    if raw_id is not None:
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise InvalidRecord(f'field "{id_key}" must be a string (got {type_name(raw_id)})')
        record_id = clean_text(str(raw_id)) or None
    paper_id = make_paper_id(record_id, arxiv_id, title, abstract)
    paper = Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        url=url,
        arxiv_id=arxiv_id,
        authors=authors,
        published=published,
        source=source,
    )
    return Built(paper, tuple(warnings))


# Reading a paper slugs its title up to three times in a row (its id, the derived id the
# deduplicator compares with, its title key): a tiny cache computes it once.
slug = lru_cache(maxsize=4)(_slug)


def make_paper_id(
    record_id: str | None, arxiv_id: str | None, title: str, abstract: str = ""
) -> str:
    """``paper:<record id>``, else ``paper:<arXiv id>``, else ``paper:<slug(title)[:80]>``.

    Without a title the slug of the abstract stands in; text without any ASCII letters or digits
    gets a short content hash so the id is still stable.
    """
    if record_id:
        return record_id if record_id.startswith("paper:") else f"paper:{record_id}"
    if arxiv_id:
        return f"paper:{arxiv_id}"
    text = title or abstract
    key = slug(text)[:80]
    if not key:
        key = "sha1-" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"paper:{key}"


def title_key(title: str) -> str:
    """Title as compared for duplicates: case, accents, punctuation and spacing ignored."""
    return slug(title) or title.casefold()
