"""Input format detection — the one place that decides how a file is read.

Content wins over the extension when it is unambiguous within a family (a ``.json`` file holding
JSON Lines is read as JSONL, a ``.csv`` file with a tab-separated header as TSV); otherwise the
extension decides, and files with an unknown extension are sniffed.

Example:
    >>> detect_format("papers.txt", '{"title": "PPO"}\\n{"title": "TRPO"}\\n')
    'jsonl'
    >>> detect_format("refs.bib", "@article{k, title={PPO}}")
    'bibtex'
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from kg.errors import InputError
from kg.readers._common import FIELD_NAMES, FORMATS, decode_bytes, read_input, split_lines

_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xml": "atom",
    ".atom": "atom",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".txt": "hf-text",
    ".text": "hf-text",
}
_FAMILIES = ({"json", "jsonl"}, {"csv", "tsv"})
_KNOWN_FIELDS = {name for names in FIELD_NAMES.values() for name in names}
_BIB_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.M)


def sniff_format(text: str) -> str | None:
    """The format the content itself shows, or None when it does not say."""
    head = text.lstrip("\ufeff \t\r\n")[:65536]
    if not head:
        return None
    first_char = head[0]
    if first_char == "<":
        return "atom"
    if first_char == "[":
        return "json"
    if first_char == "{":
        first_line = head.split("\n", 1)[0].strip()
        try:
            value = json.loads(first_line)
        except (ValueError, RecursionError):
            return "json"  # a pretty-printed document spans lines
        if not isinstance(value, dict):
            return "json"
        keys = {str(k).strip().lower() for k in value}
        if keys & {"title", "abstract", "summary"}:
            return "jsonl"  # the first line is a whole paper record
        holds_records = any(
            isinstance(v, list) and v and isinstance(v[0], dict) for v in value.values()
        )
        return "json" if holds_records else "jsonl"
    if first_char in "@%" and _BIB_START.search(head):
        return "bibtex"
    first_line = head.split("\n", 1)[0]
    for fmt, delimiter in (("tsv", "\t"), ("csv", ","), ("csv", ";")):
        if delimiter in first_line:
            try:
                cells = next(csv.reader([first_line], delimiter=delimiter))
            except (csv.Error, StopIteration):
                continue
            names = {c.strip().lower().replace(" ", "_") for c in cells}
            if names & {"title", "abstract", "summary"} and len(names & _KNOWN_FIELDS) >= 1:
                return fmt
    return None


def detect_format(path: str | Path, text: str | None = None) -> str:
    """Decide the format of an input file from its content and extension.

    Args:
        path: The file (its extension is a hint).
        text: The decoded content, if already read; otherwise the file is read.

    Returns:
        One of :data:`kg.readers.FORMATS`; ``hf-text`` when nothing else fits.

    Raises:
        InputError: When the file must be read and cannot be (missing, empty, binary).
    """
    if text is None:
        name, data = read_input(path)
        text = decode_bytes(data, name).text
    by_extension = _EXTENSIONS.get(Path(str(path)).suffix.lower())
    by_content = sniff_format(text)
    if by_extension is None or by_extension == "hf-text":
        return by_content or "hf-text"
    if by_extension == "json" and by_content == "jsonl" and len(split_lines(text.strip())) == 1:
        return "json"  # one object on one line is a JSON document too; the extension decides
    if by_content is not None and any({by_extension, by_content} <= family for family in _FAMILIES):
        return by_content
    return by_extension


def check_format(fmt: str) -> str:
    """Validate a forced format name (``fmt=`` / ``--format``)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} — choose one of: {', '.join(FORMATS)}")
    return fmt
