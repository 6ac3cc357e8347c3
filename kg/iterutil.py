"""Iteration helpers shared by the pipeline's stages.

Example:
    >>> from kg.iterutil import batched
    >>> list(batched(range(5), 2))
    [[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last one shorter), read lazily from ``items``.

    ``itertools.batched`` (Python 3.12) gives tuples and is not in 3.10, which kg supports.

    Args:
        items: Any iterable; it is read once, one batch at a time.
        size: Items per batch (at least 1).

    Returns:
        An iterator over the batches.
    """
    iterator = iter(items)
    return iter(lambda: list(islice(iterator, size)), [])
