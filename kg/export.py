"""Exporters: GraphML (Gephi, Cytoscape, yEd) and JSON.

Writers accept a path or a binary file object, like networkx's ``write_graphml``. Output is
deterministic for the same graph: nodes and edges are written in sorted order. GraphML values
are cleaned so every reader accepts them: lists are encoded as JSON strings, ``None`` and empty
values are dropped, and characters XML 1.0 forbids (control characters, lone surrogates) are
removed.

Example:
    >>> import io, networkx as nx
    >>> from kg.models import GraphBatch, Paper
    >>> buf = io.BytesIO()
    >>> write_graphml(GraphBatch(papers=(Paper(id="paper:a", title="A <b> & c"),)), buf)
    >>> _ = buf.seek(0)
    >>> nx.read_graphml(buf, force_multigraph=True).nodes["paper:a"]["title"]
    'A <b> & c'
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import networkx as nx

from kg.graph import sort_batch, to_networkx
from kg.models import GraphBatch

_XML_FORBIDDEN = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Target = str | Path | IO[bytes]


def xml_safe(text: str) -> str:
    """Remove characters that XML 1.0 does not allow (NUL, most C0 controls, U+FFFE...)."""
    return _XML_FORBIDDEN.sub("", text)


def _graphml_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return xml_safe(json.dumps(list(value), ensure_ascii=False)) if value else None
    if isinstance(value, str):
        return xml_safe(value) or None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return float(value)
    return value


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: _graphml_value(v) for k, v in attrs.items()}
    return {k: v for k, v in cleaned.items() if v is not None}


def graphml_graph(batch: GraphBatch) -> nx.MultiDiGraph:
    """The networkx graph that :func:`write_graphml` writes (attributes cleaned for GraphML)."""
    source = to_networkx(batch)
    graph = nx.MultiDiGraph()
    for node, attrs in sorted(source.nodes(data=True), key=lambda n: n[0]):
        graph.add_node(node, **_clean(attrs))
    for u, v, key, attrs in sorted(source.edges(keys=True, data=True), key=lambda e: e[:3]):
        graph.add_edge(u, v, key=key, **_clean(attrs))
    return graph


@contextmanager
def _binary_target(target: Target) -> Iterator[IO[bytes]]:
    """Yield a binary file; for a path, write to a temporary file renamed into place at the end,
    so an interrupted export never leaves a half-written file under the final name."""
    if not isinstance(target, (str, Path)):
        yield target
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_graphml(batch: GraphBatch, target: Target) -> None:
    """Write the graph as GraphML.

    Args:
        batch: The graph (e.g. ``SQLiteStore.batch()``).
        target: A path or a binary file object.
    """
    graph = graphml_graph(batch)
    with _binary_target(target) as fh:
        nx.write_graphml(graph, fh, encoding="utf-8", prettyprint=True, named_key_ids=False)


def write_json(batch: GraphBatch, target: Target) -> None:
    """Write the graph as JSON: ``{"papers": [...], "entities": [...], "relations": [...]}``.

    The document validates against ``schemas/graph_batch.schema.json``.

    Args:
        batch: The graph.
        target: A path or a binary file object.
    """
    data = json.dumps(sort_batch(batch).model_dump(mode="json"), ensure_ascii=False, sort_keys=True, indent=1)
    with _binary_target(target) as fh:
        fh.write(data.encode("utf-8"))
        fh.write(b"\n")


WRITERS: dict[str, Callable[[GraphBatch, Target], None]] = {
    "graphml": write_graphml,
    "json": write_json,
}
"""Export format name -> writer (the CLI's ``kg export FORMAT PATH``)."""
