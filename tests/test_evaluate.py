"""Scoring against gold annotations (kg.evaluate), on hand-made fixtures with hand-computed scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.evaluate import Concept, evaluate, match_concepts, normalize_name, repo_keys
from kg.models import EntityType, PaperConcepts, PaperEntity

GOLD = [
    {"id": "p1", "idx": 0, "title": "Alpha",
     "methods": [{"name": "Proximal Policy Optimization", "aliases": ["PPO"], "proposed": False},
                 {"name": "Diffusion Policies", "aliases": [], "proposed": True}],
     "datasets": [{"name": "D4RL", "aliases": []}],
     "benchmarks": [{"name": "MuJoCo", "aliases": []}],
     "tasks": [{"name": "offline reinforcement learning", "aliases": ["offline RL"]}],
     "links": [{"url": "https://github.com/Owner/Repo", "kind": "code"},
               {"url": "https://x.github.io", "kind": "project_page"}]},
    {"id": "p2", "idx": 1, "title": "Beta: Gamma",
     "methods": [{"name": "DPO", "aliases": [], "proposed": False}],
     "datasets": [], "benchmarks": [],
     "tasks": [{"name": "robot manipulation", "aliases": []}],
     "links": []},
]


def entity(type_: EntityType, name: str, aliases: tuple[str, ...] = (), proposed: bool = False,
           id_: str | None = None) -> PaperEntity:
    return PaperEntity(id=id_ or f"{type_.value}:{name.lower()}", type=type_, name=name,
                       aliases=aliases, proposed=proposed)


PREDICTIONS = [
    PaperConcepts(id="paper:p1", title="Alpha", entities=(
        entity(EntityType.METHOD, "PPO"),                      # matches through the gold alias
        entity(EntityType.METHOD, "diffusion-policy"),         # hyphen + plural; proposed wrong
        entity(EntityType.METHOD, "Transformer"),              # false positive
        entity(EntityType.DATASET, "MuJoCo"),                  # dataset/benchmark confusion is fine
        entity(EntityType.BENCHMARK, "D4RL"),
        entity(EntityType.TASK, "Offline RL"),
        entity(EntityType.TASK, "robotics"),                   # false positive
        entity(EntityType.REPO, "https://github.com/owner/repo", id_="repo:github:owner/repo"),
    ), links=("https://github.com/owner/repo", "https://x.github.io")),
    # Matched by title (the id differs).
    PaperConcepts(id="paper:beta-gamma", title="Beta: Gamma", entities=(
        entity(EntityType.TASK, "Robot Manipulations"),
    )),
    # No gold record: ignored.
    PaperConcepts(id="paper:zzz", title="Unannotated", entities=(entity(EntityType.METHOD, "X"),)),
]


@pytest.fixture()
def gold_file(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in GOLD), encoding="utf-8")
    return path


def test_evaluate_scores_by_hand(gold_file: Path) -> None:
    report = evaluate(gold_file, PREDICTIONS)
    m = report.groups["methods"]
    assert (m.tp, m.fp, m.fn) == (2, 1, 1)
    assert m.precision == pytest.approx(2 / 3) and m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    db = report.groups["datasets+benchmarks"]
    assert (db.tp, db.fp, db.fn) == (2, 0, 0) and db.f1 == 1.0
    t = report.groups["tasks"]
    assert (t.tp, t.fp, t.fn) == (2, 1, 0)
    assert t.precision == pytest.approx(2 / 3) and t.recall == 1.0 and t.f1 == pytest.approx(0.8)
    r = report.groups["repos"]
    assert (r.tp, r.fp, r.fn) == (1, 0, 0)
    assert (report.proposed_correct, report.proposed_total) == (1, 2)
    assert report.proposed_accuracy == 0.5
    assert (report.papers_gold, report.papers_matched) == (2, 2)


def test_evaluate_error_listing(gold_file: Path) -> None:
    report = evaluate(gold_file, PREDICTIONS)
    first, second = report.errors
    assert first.false_positives["methods"] == ["Transformer"]
    assert first.false_positives["tasks"] == ["robotics"]
    assert first.false_negatives["methods"] == []
    assert first.proposed_errors == ["Diffusion Policies (gold: proposed)"]
    assert second.false_negatives["methods"] == ["DPO"]
    data = report.to_dict()
    assert data["groups"]["tasks"]["f1"] == 0.8
    assert [e["id"] for e in data["errors"]] == ["p1", "p2"]
    rows = report.table_rows()
    assert rows[0] == ("methods", "0.667", "0.667", "0.667", "2", "1", "1")
    assert rows[-1][0].startswith("proposed")


def test_evaluate_scores_only_papers_in_the_input(gold_file: Path) -> None:
    report = evaluate(gold_file, [])
    assert report.papers_matched == 0
    assert report.groups["methods"].fn == 0 and report.groups["methods"].tp == 0
    assert report.groups["methods"].f1 == 0.0


def test_evaluate_pairs_one_to_one() -> None:
    gold = [Concept.of("PPO"), Concept.of("Proximal Policy Optimization")]
    predicted = [Concept.of("Proximal Policy Optimization", ["PPO"])]
    assert len(match_concepts(gold, predicted)) == 1
    # Augmenting paths find the maximum pairing, not the greedy one.
    gold = [Concept.of("A", ["B"]), Concept.of("B")]
    predicted = [Concept.of("B"), Concept.of("A")]
    assert len(match_concepts(gold, predicted)) == 2


@pytest.mark.parametrize(
    ("a", "b"),
    [("Large Language Models", "large-language model"), ("Policy Gradients", "policy gradient"),
     ("Diffusion Policies", "diffusion policy"), ("Q-learning", "Q learning"),
     ("MuJoCo", "mujoco"), ("pi2vec", "Pi2Vec")],
)
def test_evaluate_normalize_name_is_lenient(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


@pytest.mark.parametrize(("a", "b"), [("PPO", "DPO"), ("Atari", "Atari 2600"), ("RL", "RLHF")])
def test_evaluate_normalize_name_keeps_different_names_apart(a: str, b: str) -> None:
    assert normalize_name(a) != normalize_name(b)


@pytest.mark.parametrize(
    ("value", "key"),
    [("https://github.com/Owner/Name/tree/main", "github.com/owner/name"),
     ("repo:github:owner/name", "github.com/owner/name"),
     ("github.com/owner/name.git", "github.com/owner/name"),
     ("repo:huggingface:datasets/org/data", "huggingface.co/datasets/org/data"),
     ("https://huggingface.co/datasets/org/data/viewer", "huggingface.co/datasets/org/data"),
     ("https://huggingface.co/Cornell-AGI", "huggingface.co/cornell-agi")],
)
def test_evaluate_repo_keys(value: str, key: str) -> None:
    assert repo_keys(value) == {key}


def test_evaluate_bad_gold_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOLD[0]) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"gold\.jsonl:2: invalid JSON"):
        evaluate(path, [])
    path.write_text(json.dumps({"title": "T", "methods": "PPO"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r'gold\.jsonl:1: field "methods" must be a list'):
        evaluate(path, [])
    with pytest.raises(InputError, match="not found"):
        evaluate(tmp_path / "missing.jsonl", [])


def test_evaluate_dev_gold_file_is_readable() -> None:
    gold = Path(__file__).resolve().parent / "data" / "seed-dev.jsonl"
    report = evaluate(gold, [])
    assert report.papers_gold == 144
    assert report.papers_matched == 0
