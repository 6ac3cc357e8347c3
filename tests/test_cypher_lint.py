"""Every Cypher kg sends is checked by Neo4j's own parser and semantic analyser.

``.ci/cypher-lint/lint.mjs`` runs ``lintCypherQuery`` of @neo4j-cypher/language-support (installed
by ``npm ci --prefix .ci/cypher-lint``) over the query files, the schema, and the loader's
generated statements, with kg's labels, relationship types and property keys as the database
schema. Broken statements prove the check can fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kg.models import Entity, EntityType, Paper, Relation, RelationType
from kg.store.neo4j import NODE_LABELS, loader_statements, prune_statements

ROOT = Path(__file__).resolve().parent.parent
LINT_DIR = ROOT / ".ci" / "cypher-lint"
LINT = LINT_DIR / "lint.mjs"
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(NODE is None, reason="node (Node.js 20) is not installed: "
                                "cannot run Neo4j's Cypher linter")


def _lint(*files: Path) -> subprocess.CompletedProcess[str]:
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        pytest.fail("the Cypher linter is not installed — run `npm ci --prefix .ci/cypher-lint`")
    return subprocess.run([NODE or "node", str(LINT), *map(str, files)], capture_output=True,
                          text=True, timeout=180, cwd=ROOT)


def _cypher_files() -> list[Path]:
    return sorted((ROOT / "queries").glob("*.cypher")) + sorted(
        (ROOT / "schemas" / "neo4j").glob("*.cypher"))


@needs_node
def test_cypher_lint_every_file_and_loader_statement_passes(tmp_path: Path) -> None:
    generated = []
    for i, statement in enumerate(loader_statements() + prune_statements()):
        path = tmp_path / f"loader_{i:02d}.cypher"
        path.write_text(statement + "\n", encoding="utf-8")
        generated.append(path)
    files = _cypher_files()
    assert len(files) >= 11
    proc = _lint(*files, *generated)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == f"{len(files) + len(generated)} file(s) OK"


BROKEN = {
    # Syntax: a misspelt keyword.
    "syntax": ("// params: id: str\nMATCH (p:Paper {id: $id})\nRETRN p.title\n", 3, 1,
               "Invalid input 'RETRN'"),
    # Semantics: a variable that was never bound.
    "variable": ("MATCH (p:Paper)\nRETURN q.title\n", 2, 8, "Variable `q` not defined"),
    # Neo4j reports unknown labels and types as warnings; the linter fails on warnings too.
    "label": ("MATCH (p:Paperr) RETURN p.id\n", 1, 10, "Label Paperr is not present"),
    "reltype": ("MATCH (p:Paper)-[:USE]->(m:Method) RETURN m.id\n", 1, 19,
                "Relationship type USE is not present"),
    "property": ("MATCH (p:Paper) RETURN p.titel\n", 1, 26, "Property key titel is not one"),
    # Neo4j Community has no APOC: an unknown function or procedure is an error.
    "function": ("MATCH (p:Paper) RETURN apoc.text.join(p.authors, ', ') AS a\n", 1, 24,
                 "Function apoc.text.join is not present"),
    "procedure": ("CALL db.index.fulltext.queryNode('paper_text', 'x') YIELD node RETURN node\n",
                  1, 6, "Procedure db.index.fulltext.queryNode is not present"),
    # With a params header, a parameter it does not declare is an error.
    "parameter": ("// params: paper_id: str\nMATCH (p:Paper {id: $paperid}) RETURN p.id\n", 2, 21,
                  "Parameter $paperid is not defined."),
    "schema": ("CREATE CONSTRAINT paper_id IF NOT EXISTS FOR (n:Paper) REQUIRE n.id UNIQUE;\n",
               1, 69, "Invalid input 'UNIQUE'"),
}


@needs_node
def test_cypher_lint_catches_broken_statements(tmp_path: Path) -> None:
    paths = []
    for name, (text, *_rest) in BROKEN.items():
        path = tmp_path / f"{name}.cypher"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    good = ROOT / "queries" / "related_papers.cypher"
    # Without a params header (schema files, loader statements) any $parameter is allowed.
    noheader = tmp_path / "noheader.cypher"
    noheader.write_text("MATCH (p:Paper {id: $anything}) RETURN p.id\n", encoding="utf-8")
    proc = _lint(good, noheader, *paths)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for name, (_text, line, col, message) in BROKEN.items():
        severity = "warning" if name in ("label", "reltype") else "error"
        prefix = f"{tmp_path / name}.cypher:{line}:{col}: {severity}: {message}"
        assert any(l.startswith(prefix) for l in lines), f"{prefix!r} not in\n{proc.stdout}"
    assert not any(l.startswith((str(good), str(noheader))) for l in lines)
    assert lines[-1] == f"{len(lines) - 1} problem(s) in {len(BROKEN) + 2} file(s)"


def test_cypher_lint_schema_matches_models() -> None:
    schema = json.loads((LINT_DIR / "kg-schema.json").read_text(encoding="utf-8"))
    assert schema["labels"] == list(NODE_LABELS) == ["Paper"] + [t.label for t in EntityType]
    assert schema["relationshipTypes"] == [r.value for r in RelationType]
    structural = {"source", "target", "type"}  # a relationship's ends and type, not properties
    keys = set(Paper.model_fields) | set(Entity.model_fields) | (
        set(Relation.model_fields) - structural)
    assert set(schema["propertyKeys"]) == keys
    assert set(schema["mapKeys"]).isdisjoint(keys)
    # mapKeys are exactly the row keys the loader uses besides property keys.
    used = set()
    for statement in loader_statements():
        used |= set(re.findall(r"row\.(\w+)", statement))
    assert used - keys == set(schema["mapKeys"])


def test_cypher_lint_package_is_pinned() -> None:
    package = json.loads((LINT_DIR / "package.json").read_text(encoding="utf-8"))
    version = package["dependencies"]["@neo4j-cypher/language-support"]
    assert version[0].isdigit(), "pin an exact version"
    lock = json.loads((LINT_DIR / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/@neo4j-cypher/language-support"]["version"] == version
