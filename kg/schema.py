"""Generate the JSON Schemas in ``schemas/`` from the pydantic records.

Run ``python -m kg.schema`` after changing :mod:`kg.models`; ``tests/test_schema.py`` fails when
the committed files drift from the models.

Example:
    >>> "Paper" in schema_documents()
    True
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from kg.models import Entity, Extraction, GraphBatch, Paper, PaperConcepts, Relation

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "Paper": Paper,
    "Extraction": Extraction,
    "Entity": Entity,
    "PaperConcepts": PaperConcepts,
    "Relation": Relation,
    "GraphBatch": GraphBatch,
}
"""Schema name -> record. ``PaperConcepts`` is one line of ``kg extract``; ``GraphBatch`` is
the document ``kg export json`` writes."""


def file_name(name: str) -> str:
    """``PaperConcepts`` -> ``paper_concepts.schema.json``."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return f"{snake}.schema.json"


def schema_documents() -> dict[str, str]:
    """Schema name -> the JSON text to commit (sorted keys, trailing newline)."""
    return {
        name: json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for name, model in SCHEMA_MODELS.items()
    }


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into ``directory``; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in schema_documents().items():
        path = directory / file_name(name)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "schemas"
    for written in write_schemas(target):
        print(written)
