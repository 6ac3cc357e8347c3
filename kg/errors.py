"""Errors kg raises. The library raises; only the CLI prints them (one line) and exits 1.

Example:
    >>> from kg.errors import InputError
    >>> str(InputError("papers.jsonl:17: field 'abstract' must be a string"))
    "papers.jsonl:17: field 'abstract' must be a string"
"""

from __future__ import annotations


class KGError(Exception):
    """Base class of every error kg reports to the user as one line."""


class InputError(KGError):
    """An input file or record cannot be read; the message names the file and line."""


class StoreError(KGError):
    """The graph store cannot be opened, written or reached."""


class QueryError(KGError):
    """A named query is unknown, or its parameters are wrong."""


class ExtractionError(KGError):
    """The extractor's resources or pipeline cannot be loaded."""
