"""Correctness of the benchmark corpus generator (no timing here: that lives in benchmarks/run.py)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

GENERATE = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("kg_bench_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_benchmarks_generate_is_deterministic_and_prefix_stable(gen):
    first = list(gen.generate(300, seed=5))
    again = list(gen.generate(300, seed=5))
    smaller = list(gen.generate(120, seed=5))
    other = list(gen.generate(300, seed=6))
    assert first == again
    assert smaller == first[:120]
    assert [r["abstract"] for r in other] != [r["abstract"] for r in first]


def test_benchmarks_generate_recombines_real_sentences(gen):
    source = gen.load_source()
    real = {s for sents in source.abstracts for s in sents}
    records = list(gen.generate(200, seed=1))
    assert [r["id"] for r in records] == [f"bench-{i:06d}" for i in range(200)]
    for record in records:
        sentences = gen.split_sentences(record["abstract"])
        assert sentences and all(s in real for s in sentences), record["id"]
        assert re.fullmatch(r"20(1[7-9]|2[0-5])-\d\d-\d\d", record["published"])
    assert len({gen.title_key(r["title"]) for r in records}) == len(records)
    # not a copy of the source: most abstracts differ from every real one
    originals = {" ".join(sents) for sents in source.abstracts}
    assert sum(r["abstract"] in originals for r in records) < len(records) // 10


def test_benchmarks_generate_cli_writes_jsonl(gen, tmp_path):
    out = tmp_path / "c.jsonl"
    assert gen.main(["25", "-o", str(out), "--seed", "3"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == list(gen.generate(25, seed=3))
