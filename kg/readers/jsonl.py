"""Reader for JSON Lines: one JSON object per line (blank lines are ignored).

Example:
    >>> items = list(read_jsonl('{"title": "PPO", "abstract": "We study PPO."}\\n', "p.jsonl"))
    >>> items[0].line, items[0].fields["title"]
    (1, ('title', 'PPO'))
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from kg.readers._common import Item, Problem, RawRecord, iter_lines, map_fields, type_name


def read_jsonl(text: str, name: str) -> Iterator[Item]:
    """Yield one raw record (or problem) per non-blank line.

    Args:
        text: The decoded file.
        name: The file name for messages.

    Yields:
        RawRecord for each JSON object line; Problem for lines that are not JSON objects
        (a cut-off last line is reported as truncated).
    """
    # The last non-blank line ends after the last non-space character (no rstrip(): that
    # would copy the whole file).
    last_char = len(text) - 1
    while last_char >= 0 and text[last_char].isspace():
        last_char -= 1
    decode = _DECODER.decode
    for number, end, line in iter_lines(text):
        if not line or line.isspace():
            continue
        try:
            # json.loads(line, strict=False) builds a new decoder per call; its BOM check is
            # kept by sending such lines through it.
            value = json.loads(line, strict=False) if line[0] == "\ufeff" else decode(line)
        except RecursionError:
            yield Problem(name, number, "JSON nested too deeply")
            continue
        except ValueError as exc:
            yield Problem(name, number, json_error_message(exc, truncated=end > last_char))
            continue
        if not isinstance(value, dict):
            yield Problem(name, number, f"expected a JSON object, got {type_name(value)}")
            continue
        yield RawRecord(number, map_fields(value))


_DECODER = json.JSONDecoder(strict=False)


def json_error_message(exc: ValueError, truncated: bool = False) -> str:
    """A short message for a JSON syntax error (column included)."""
    if isinstance(exc, json.JSONDecodeError):
        reason = exc.msg.removesuffix(" at").replace(
            "Unterminated string starting", "unterminated string"
        )
        message = f"not valid JSON at column {exc.colno}: {reason[:1].lower()}{reason[1:]}"
        ends_early = exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated")
        if truncated and ends_early:
            message += "; the line is cut off (truncated file?)"
        return message
    return f"not valid JSON: {exc}"
