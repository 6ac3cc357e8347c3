"""The committed JSON Schemas equal the pydantic models, and exports validate against them."""

from __future__ import annotations

import io
import json

import jsonschema

from kg.export import write_json
from kg.schema import file_name, schema_documents

from conftest import ROOT


def test_schema_files_match_models() -> None:
    for name, text in schema_documents().items():
        path = ROOT / "schemas" / file_name(name)
        assert path.exists(), f"{path} missing — run python -m kg.schema"
        assert path.read_text(encoding="utf-8") == text, f"{path} drifted — run python -m kg.schema"


def test_schema_json_export_validates(tiny_batch) -> None:
    buf = io.BytesIO()
    write_json(tiny_batch, buf)
    schema = json.loads((ROOT / "schemas" / "graph_batch.schema.json").read_text())
    jsonschema.validate(json.loads(buf.getvalue()), schema)


def test_schema_rejects_wrong_document() -> None:
    schema = json.loads((ROOT / "schemas" / "graph_batch.schema.json").read_text())
    bad = {"papers": [{"id": 3}], "entities": [], "relations": []}
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("an invalid document validated")
