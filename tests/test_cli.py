"""The CLI end to end on a small real-text corpus: exit codes, exact messages, JSON output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import networkx as nx
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from kg.cli import app

from conftest import ROOT

PAPERS = ROOT / "tests" / "data" / "cli-papers.jsonl"
runner = CliRunner()


def invoke(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("cli") / "kg.db"
    result = invoke("build", PAPERS, "--store", store, "--quiet")
    assert result.exit_code == 0, result.output
    return store


def _commands(group: object, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        out.append((prefix + name, cmd))
        if hasattr(cmd, "commands"):  # a group (typer may ship its own click classes)
            out.extend(_commands(cmd, prefix + name + " "))
    return out


def test_cli_every_command_has_help() -> None:
    commands = _commands(get_command(app))  # type: ignore[arg-type]
    assert {"build", "related", "extract", "eval", "stats", "export graphml"} <= {n for n, _ in commands}
    for name, cmd in commands:
        assert (getattr(cmd, "help", "") or "").strip(), f"`kg {name}` has no help text"
        result = invoke(*name.split(), "--help")
        assert result.exit_code == 0, name


def test_cli_build_reports_counts(built_store: Path) -> None:
    result = invoke("build", PAPERS, "--store", built_store, "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["read"], report["added"], report["unchanged"]) == (6, 0, 6)
    assert report["counts"]["papers"] == 6


def test_cli_build_twice_is_idempotent(tmp_path: Path) -> None:
    store = tmp_path / "kg.db"
    invoke("build", PAPERS, "--store", store, "-q")
    first = tmp_path / "a.graphml"
    invoke("export", "graphml", first, "--store", store)
    result = invoke("build", PAPERS, "--store", store, "-q")
    assert "0 added, 0 updated, 6 unchanged" in result.stdout
    second = tmp_path / "b.graphml"
    invoke("export", "graphml", second, "--store", store)
    assert first.read_bytes() == second.read_bytes()


def test_cli_related_by_title_fragment(built_store: Path) -> None:
    result = invoke("related", "Policy Policy Optim", "--store", built_store, "--json", "--k", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == "paper:hf-policy-045"
    assert 1 <= len(data["results"]) <= 3
    assert all(r["id"] != "paper:hf-policy-045" for r in data["results"])
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)
    top = data["results"][0]
    assert top["shared_concepts"] or top["shared_terms"], "every result carries its reasons"


def test_cli_related_short_k_option(built_store: Path) -> None:
    """``-k`` is short for ``--k`` (the flag users reach for first)."""
    result = invoke("related", "paper:hf-policy-045", "--store", built_store, "--json", "-k", "1")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["results"]) == 1


def test_cli_related_table(built_store: Path) -> None:
    result = invoke("related", "paper:hf-policy-045", "--store", built_store, "--explain")
    assert result.exit_code == 0
    assert "Diffusion Policy Policy Optimization" in result.stdout


def test_cli_related_ambiguous_lists_candidates(built_store: Path) -> None:
    result = invoke("related", "Diffusion Policy", "--store", built_store)
    assert result.exit_code == 1
    assert "matches" in result.stderr and "paper:hf-policy-006" in result.stderr


def test_cli_related_unknown_paper(built_store: Path) -> None:
    result = invoke("related", "zzzz qqqq xxxx", "--store", built_store)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith('error: no paper matches "zzzz qqqq xxxx"')
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_related_text(built_store: Path) -> None:
    result = invoke("related", "--text", "fine-tuning diffusion policies with policy gradient",
                    "--store", built_store, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]


def test_cli_related_needs_query_or_text(built_store: Path) -> None:
    result = runner.invoke(app, ["related", "--store", str(built_store)])
    assert result.exit_code == 2


def test_cli_related_bad_type(built_store: Path) -> None:
    result = invoke("related", "hf-policy-045", "--type", "method,gadget", "--store", built_store)
    assert result.exit_code == 1
    assert 'unknown concept type "gadget"' in result.stderr


def test_cli_export_graphml_matches_stats(built_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    assert invoke("export", "graphml", path, "--store", built_store).exit_code == 0
    graph = nx.read_graphml(path, force_multigraph=True)
    stats = json.loads(invoke("stats", "--store", built_store, "--json").stdout)["counts"]
    nodes = stats["papers"] + sum(v for k, v in stats.items() if k.startswith("entities."))
    edges = sum(v for k, v in stats.items() if k.startswith("edges."))
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (nodes, edges)


def test_cli_export_json(built_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    assert invoke("export", "json", path, "--store", built_store).exit_code == 0
    assert len(json.loads(path.read_text())["papers"]) == 6


def test_cli_extract_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert invoke("extract", PAPERS, "-o", out).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows][0] == "paper:hf-policy-045"
    dppo = rows[0]
    methods = {e["name"].lower(): e for e in dppo["entities"] if e["type"] == "method"}
    assert "diffusion policy policy optimization" in methods
    assert methods["diffusion policy policy optimization"]["proposed"] is True
    for entity in dppo["entities"]:
        for m in entity["mentions"]:
            source = dppo["title"] if m["field"] == "title" else json.loads(
                PAPERS.read_text().splitlines()[0])["abstract"]
            assert source[m["start"]:m["end"]] == m["text"]


def test_cli_missing_input_is_one_line(tmp_path: Path) -> None:
    result = invoke("build", tmp_path / "nope.jsonl", "--store", tmp_path / "kg.db")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.jsonl" in lines[0]


def test_cli_invalid_record_changes_nothing(built_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "kg.db"
    shutil.copy(built_store, store)
    before = invoke("stats", "--store", store, "--json").stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "Good paper", "abstract": "We use PPO."}\n{"title": ["x"], "abstract": 3}\n')
    result = invoke("build", bad, "--store", store)
    assert result.exit_code == 1
    assert "bad.jsonl:2" in result.stderr and "--skip-invalid" in result.stderr
    assert invoke("stats", "--store", store, "--json").stdout == before
    result = invoke("build", bad, "--store", store, "--skip-invalid", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["added"] == 1
    assert "bad.jsonl:2" in result.stderr


def test_cli_eval_on_gold_subset(tmp_path: Path) -> None:
    result = invoke("eval", PAPERS, "--gold", ROOT / "tests" / "data" / "seed-dev.jsonl", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report  # structure checked in tests/test_evaluate.py


def test_cli_empty_store_related(tmp_path: Path) -> None:
    result = invoke("related", "x", "--store", tmp_path / "empty.db")
    assert result.exit_code == 1
    assert "the store is empty — run `kg build INPUT` first" in result.stderr
