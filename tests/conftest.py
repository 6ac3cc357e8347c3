"""Shared fixtures: a tiny hand-made graph, the example corpus, a temporary store."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.models import (
    Entity,
    EntityType,
    GraphBatch,
    Paper,
    Relation,
    RelationType,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CORPUS = ROOT / "examples" / "hf-papers-policy.txt"
DEV_GOLD = ROOT / "tests" / "data" / "seed-dev.jsonl"
RELATED_DEV = ROOT / "tests" / "data" / "related-dev.jsonl"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir() -> Iterator[None]:
    """The suite's own kg cache (``KG_CACHE_DIR``): tests never read or write the user's."""
    before = os.environ.get("KG_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="kg-test-cache-") as cache:
        os.environ["KG_CACHE_DIR"] = cache
        yield
    if before is None:
        os.environ.pop("KG_CACHE_DIR", None)
    else:
        os.environ["KG_CACHE_DIR"] = before


@pytest.fixture
def example_corpus() -> Path:
    """The bundled example corpus (214 papers)."""
    return EXAMPLE_CORPUS


@pytest.fixture
def tiny_batch() -> GraphBatch:
    """Three papers, three concepts, hand-written edges."""
    papers = (
        Paper(id="paper:a", title="PPO for robots", abstract="We propose PPO-R.",
              published="2023-05-01"),
        Paper(id="paper:b", title="Offline RL on D4RL", abstract="We use PPO on D4RL.",
              published="2024"),
        Paper(id="paper:c", title="A <weird> & \"title\"", abstract="Nothing\x01 here."),
    )
    entities = (
        Entity(id="dataset:d4rl", type=EntityType.DATASET, name="D4RL"),
        Entity(id="method:proximal-policy-optimization", type=EntityType.METHOD,
               name="Proximal Policy Optimization", aliases=("PPO",)),
        Entity(id="task:offline-reinforcement-learning", type=EntityType.TASK,
               name="offline reinforcement learning", aliases=("offline RL",)),
    )
    relations = (
        Relation(source="paper:a", target="method:proximal-policy-optimization",
                 type=RelationType.PROPOSES, evidence="We propose PPO-R."),
        Relation(source="paper:b", target="method:proximal-policy-optimization",
                 type=RelationType.USES, count=2, evidence="We use PPO on D4RL."),
        Relation(source="paper:b", target="dataset:d4rl", type=RelationType.EVALUATES_ON),
        Relation(source="paper:b", target="task:offline-reinforcement-learning",
                 type=RelationType.ADDRESSES),
        Relation(source="paper:a", target="paper:b", type=RelationType.RELATED_TO, weight=0.5,
                 shared=("method:proximal-policy-optimization", "term:ppo")),
    )
    return GraphBatch(papers=papers, entities=entities, relations=relations)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Path of a not-yet-created store file."""
    return tmp_path / "kg.db"
