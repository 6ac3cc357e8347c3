"""Read JSON-lines files of objects with one-line errors naming the file and line.

Shared by the gold-file reader (:mod:`kg.evaluate`) and user resource files (:mod:`kg.resources`).

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> _ = path.write_text('{"a": 1}\\n\\n{"a": 2}\\n')
    >>> [(n, r["a"]) for n, r in json_objects(path, hint="fix the line")]
    [(1, 1), (3, 2)]
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import InputError


def json_objects(
    path: Path, hint: str, expected: str = "a JSON object"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for every non-blank line of a JSONL file.

    Args:
        path: The file.
        hint: How to fix a bad line (ends every error message).
        expected: What a line must be, for the error message.

    Yields:
        Line numbers (1-based) and the parsed objects.

    Raises:
        InputError: ``file:line: invalid JSON (...) — hint`` or ``file:line: expected ... — hint``.
    """
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: invalid JSON ({exc.msg}) — {hint}") from None
            if not isinstance(record, dict):
                raise InputError(f"{path}:{lineno}: expected {expected} — {hint}")
            yield lineno, record
