"""Reader for a JSON document: an array of paper objects, an object holding such an array under
any key (``papers``, ``data``, ``records``, ...), or a single paper object.

Records keep the line where their object starts, so messages point into the file.

Example:
    >>> doc = '{"papers": [\\n {"title": "PPO", "abstract": "We study PPO."}\\n]}'
    >>> [(r.line, r.fields["title"][1]) for r in read_json(doc, "p.json")]
    [(2, 'PPO')]
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator
from typing import Any

from kg.errors import InputError
from kg.readers._common import (
    FIELD_NAMES,
    Item,
    Problem,
    RawRecord,
    clean_text,
    line_starts,
    map_fields,
    type_name,
)
from kg.readers.jsonl import json_error_message

_PREFERRED_KEYS = ("papers", "data", "records", "items", "results", "entries", "rows", "documents")
_DECODER = json.JSONDecoder(strict=False)
_WS = " \t\n\r"


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _is_paper(value: Any) -> bool:
    return isinstance(value, dict) and any(
        isinstance(k, str) and k.strip().lower() in ("title", "abstract", "summary") for k in value
    )


def _records_key(obj: dict[str, Any]) -> str | None:
    lists = [k for k, v in obj.items() if isinstance(v, list)]
    for key in _PREFERRED_KEYS:
        for k in lists:
            if k.lower() == key:
                return k
    with_papers = [k for k in lists if any(_is_paper(v) for v in obj[k])]
    if with_papers:
        return with_papers[0]
    return lists[0] if len(lists) == 1 else None


def read_json(text: str, name: str) -> Iterator[Item]:
    """Yield the records of a JSON document.

    Args:
        text: The decoded file.
        name: The file name for messages.

    Yields:
        RawRecord per paper object; Problem per array item that is not an object.

    Raises:
        InputError: When the document is not valid JSON or holds no list of papers.
    """
    try:
        doc = json.loads(text, strict=False)
    except RecursionError:
        raise InputError(f"{name}: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}:{exc.lineno}: {json_error_message(exc)} — fix the file "
            "(one JSON document; use .jsonl for one object per line)"
        ) from None
    starts = line_starts(text)

    def line_of(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    start = _skip_ws(text, 0)
    if isinstance(doc, list):
        yield from _array_items(text, start, doc, name, line_of)
    elif isinstance(doc, dict):
        key = _records_key(doc)
        if key is None:
            if _is_paper(doc) or any(k in FIELD_NAMES for k in doc):
                yield RawRecord(line_of(start), map_fields(doc))
                return
            keys = ", ".join(f'"{clean_text(k)[:40]}"' for k in list(doc)[:8]) or "none"
            raise InputError(
                f"{name}:{line_of(start)}: JSON object holds no list of papers (keys: {keys}) — "
                'put the papers in an array, e.g. {"papers": [...]}'
            )
        yield from _array_items(text, _find_value(text, start, key), doc[key], name, line_of)
    else:
        raise InputError(
            f"{name}:{line_of(start)}: expected a JSON array or object of papers, "
            f"got {type_name(doc)}"
        )


def _find_value(text: str, pos: int, wanted: str) -> int:
    """Offset of the value of top-level key ``wanted`` in the object starting at ``pos``."""
    pos = _skip_ws(text, pos + 1)
    while pos < len(text) and text[pos] != "}":
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _skip_ws(text, pos)
        pos = _skip_ws(text, pos + 1)  # the colon
        if key == wanted:
            found = pos
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip_ws(text, pos)
        if text[pos : pos + 1] == ",":
            pos = _skip_ws(text, pos + 1)
    # With duplicate keys json.loads keeps the last one, and so does this loop.
    return found


def _array_items(text: str, pos: int, values: list[Any], name: str, line_of: Any) -> Iterator[Item]:
    """Yield records for the array at ``pos`` whose parsed value is ``values``."""
    pos = _skip_ws(text, pos + 1)  # past "["
    for value in values:
        line = line_of(pos)
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip_ws(text, pos)
        if text[pos : pos + 1] == ",":
            pos = _skip_ws(text, pos + 1)
        if isinstance(value, dict):
            yield RawRecord(line, map_fields(value))
        else:
            yield Problem(name, line, f"expected a JSON object for a paper, got {type_name(value)}")
