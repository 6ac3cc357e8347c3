"""Reader for JSON Lines: one JSON object per line (blank lines are ignored).

Example:
    >>> items = list(read_jsonl('{"title": "PPO", "abstract": "We study PPO."}\\n', "p.jsonl"))
    >>> items[0].line, items[0].fields["title"]
    (1, ('title', 'PPO'))
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from kg.readers._common import Item, Problem, RawRecord, map_fields, split_lines, type_name


def read_jsonl(text: str, name: str) -> Iterator[Item]:
    """Yield one raw record (or problem) per non-blank line.

    Args:
        text: The decoded file.
        name: The file name for messages.

    Yields:
        RawRecord for each JSON object line; Problem for lines that are not JSON objects
        (a cut-off last line is reported as truncated).
    """
    lines = split_lines(text)
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        number = index + 1
        try:
            value = json.loads(line, strict=False)
        except RecursionError:
            yield Problem(name, number, "JSON nested too deeply")
            continue
        except ValueError as exc:
            yield Problem(name, number, json_error_message(exc, truncated=index == last))
            continue
        if not isinstance(value, dict):
            yield Problem(name, number, f"expected a JSON object, got {type_name(value)}")
            continue
        yield RawRecord(number, map_fields(value))


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
