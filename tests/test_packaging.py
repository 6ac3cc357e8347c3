"""The wheel's package list: every package under kg/ is listed, and queries/ and schemas/neo4j/
ship inside it (pyproject.toml lists packages explicitly because of those two mapped folders)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_packaging_every_python_package_is_listed() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "kg").rglob("__init__.py")
    }
    listed = set(_setuptools()["packages"])
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"


def test_packaging_query_and_schema_folders_ship_in_the_wheel() -> None:
    config = _setuptools()
    dirs = config["package-dir"]
    assert dirs == {"kg.queries_files": "queries", "kg.neo4j_schema": "schemas/neo4j"}
    for package, folder in dirs.items():
        assert package in config["packages"]
        assert config["package-data"][package] == ["*.cypher"]
        assert list((ROOT / folder).glob("*.cypher")), folder
