"""Reader for CSV and TSV files with a header row naming the fields (``title``, ``abstract``, ...).

Quoted fields may hold newlines and delimiters (the standard ``csv`` module does the parsing);
each record keeps the line where it starts.

Example:
    >>> rows = list(read_csv('title,abstract\\nPPO,"We study\\nPPO."\\n', "p.csv"))
    >>> rows[0].line, rows[0].fields["abstract"][1]
    (2, 'We study\\nPPO.')
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator

from kg.errors import InputError
from kg.readers._common import Item, Problem, RawRecord, clean_text, map_fields

# A 1 MB abstract is a legitimate field; the csv module's default cap is 128 KiB.
_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


def read_csv(text: str, name: str) -> Iterator[Item]:
    """Yield the rows of a comma- (or semicolon-) separated file as raw records."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    yield from _read_delimited(text, name, delimiter)


def read_tsv(text: str, name: str) -> Iterator[Item]:
    """Yield the rows of a tab-separated file as raw records."""
    yield from _read_delimited(text, name, "\t")


def _read_delimited(text: str, name: str, delimiter: str) -> Iterator[Item]:
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):
            header = next(reader)
    except StopIteration:
        raise InputError(f"{name}: empty file — expected a header row and papers") from None
    except csv.Error as exc:
        raise InputError(f"{name}:{reader.line_num}: {exc} — fix the header row") from None
    header_line = reader.line_num
    columns = [cell.strip().lstrip("\ufeff") for cell in header]
    fields_found = map_fields({c: "" for c in columns})
    if "title" not in fields_found and "abstract" not in fields_found:
        shown = ", ".join(f'"{clean_text(c)[:40]}"' for c in columns[:8])
        sep = "tab" if delimiter == "\t" else f'"{delimiter}"'
        raise InputError(
            f'{name}:{header_line}: header must name a "title" or "abstract" column '
            f"(found {shown}; separator {sep}) — add a header row"
        )
    end = header_line
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{name}:{start}: {exc} — fix the quoting of this row") from None
        end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
            yield Problem(
                name,
                start,
                f"row has {len(row)} fields but the header has {len(columns)} — quote fields "
                "that contain the separator",
            )
            continue
        yield RawRecord(start, map_fields(dict(zip(columns, row, strict=False))))
