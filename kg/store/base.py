"""The ``GraphStore`` protocol every backend implements (SQLite embedded default, Neo4j).

Example:
    >>> from kg.store.base import GraphStore
    >>> hasattr(GraphStore, "write_batch")
    True
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kg.models import GraphBatch


@runtime_checkable
class GraphStore(Protocol):
    """Where a built graph lives.

    ``write_batch`` is idempotent: writing the same batch twice leaves the store as after once
    (nodes and edges are merged on ``id`` / ``(source, type, target)``).
    """

    def write_batch(self, batch: GraphBatch) -> dict[str, int]:
        """Merge papers, entities and relations; return counts written per kind."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
