"""Tests of kg.resources and scripts/build_resources.py."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.models import EntityType
from kg.resources import (
    DATA_DIR,
    broad_terms,
    RESOURCE_FILES,
    ResourceEntry,
    generic_terms,
    load_resources,
    lookup_key,
    read_resource_file,
)

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"


def _build_module():
    spec = importlib.util.spec_from_file_location("build_resources", ROOT / "scripts" / "build_resources.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_resources"] = module
    spec.loader.exec_module(module)
    return module


def _find(name: str, type_: EntityType | None = None) -> list[ResourceEntry]:
    key = lookup_key(name)
    return [
        e
        for e in load_resources()
        if (type_ is None or e.type is type_) and key in {lookup_key(f) for f in e.surface_forms()}
    ]


# --------------------------------------------------------------------------- shipped data


def test_resources_load_default_has_every_type() -> None:
    entries = load_resources()
    counts = defaultdict(int)
    for entry in entries:
        counts[entry.type] += 1
    assert set(counts) == {EntityType.METHOD, EntityType.DATASET, EntityType.BENCHMARK, EntityType.TASK}
    assert counts[EntityType.METHOD] >= 500
    assert counts[EntityType.BENCHMARK] >= 100
    assert counts[EntityType.TASK] >= 500
    assert load_resources() is entries  # cached


def test_resources_files_hold_only_their_type() -> None:
    for type_, filename in RESOURCE_FILES.items():
        entries = read_resource_file(DATA_DIR / filename)
        assert entries, filename
        assert {e.type for e in entries} == {type_}, filename


def test_resources_entries_are_valid() -> None:
    sources = {"curated", "pwc", "ito", "scirex"}
    for entry in load_resources():
        assert entry.name == entry.name.strip() and entry.name
        assert entry.name not in entry.aliases
        assert len(set(entry.aliases)) == len(entry.aliases)
        assert set(entry.source.split("+")) <= sources, entry
        assert entry.name not in entry.parents


def test_resources_parents_name_entries_of_the_same_type() -> None:
    names = {(e.type, e.name) for e in load_resources()}
    for entry in load_resources():
        for parent in entry.parents:
            assert (entry.type, parent) in names, (entry.name, parent)


def test_resources_no_surface_form_names_two_entries() -> None:
    owner: dict[str, str] = {}
    for entry in load_resources():
        for form in entry.surface_forms():
            key = lookup_key(form)
            assert owner.setdefault(key, entry.name) == entry.name, (form, owner[key], entry.name)


def test_resources_generic_terms_are_never_entries() -> None:
    generic = generic_terms()
    assert {"our method", "policy", "markov decision process", "neural networks"} <= generic
    for entry in load_resources():
        for form in entry.surface_forms():
            assert form.lower() not in generic, (entry.name, form)


def test_resources_broad_terms_are_lower_case_and_not_generic() -> None:
    broad = broad_terms()
    assert "deep reinforcement learning" in broad and "imitation learning" in broad
    assert all(term == term.lower() for term in broad)
    assert not broad & generic_terms()
    # broad areas that are task entries still canonicalize ("DRL" -> Deep Reinforcement Learning)
    assert [e.name for e in _find("DRL", EntityType.TASK)] == ["Deep Reinforcement Learning"]


def test_resources_files_are_sorted() -> None:
    for filename in RESOURCE_FILES.values():
        entries = read_resource_file(DATA_DIR / filename)
        keys = [(e.name.casefold(), e.name) for e in entries]
        assert keys == sorted(keys), filename


@pytest.mark.parametrize(
    ("form", "type_", "name"),
    [
        ("PPO", EntityType.METHOD, "Proximal Policy Optimization"),
        ("TRPO", EntityType.METHOD, "Trust Region Policy Optimization"),
        ("RLHF", EntityType.METHOD, "Reinforcement Learning from Human Feedback"),
        ("mixture-of-experts", EntityType.METHOD, "Mixture of Experts"),
        ("LLMs", EntityType.METHOD, "Large Language Model"),
        ("Monte Carlo tree search", EntityType.METHOD, "Monte Carlo Tree Search"),
        ("D4RL", EntityType.DATASET, "D4RL"),
        ("Open X-Embodiment", EntityType.DATASET, "Open X-Embodiment"),
        ("MuJoCo", EntityType.BENCHMARK, "MuJoCo"),
        ("Atari 2600", EntityType.BENCHMARK, "Atari"),
        ("Meta world", EntityType.BENCHMARK, "Meta-World"),
        ("offline RL", EntityType.TASK, "Offline Reinforcement Learning"),
        ("robotic manipulation", EntityType.TASK, "Robot Manipulation"),
        ("multi-agent path finding", EntityType.TASK, "Multi-Agent Path Finding"),
        # classic techniques outside deep learning (optimization, inference, vision, speech)
        ("loopy belief propagation", EntityType.METHOD, "Belief Propagation"),
        ("graph cut", EntityType.METHOD, "Graph Cuts"),
        ("quasi-Newton", EntityType.METHOD, "Quasi-Newton Method"),
        ("Hough voting", EntityType.METHOD, "Hough Transform"),
        ("i-vectors", EntityType.METHOD, "i-vector"),
        ("evolutionary strategies", EntityType.METHOD, "Evolution Strategies"),
        # a technique the papers apply, not a task (PwC lists it as a task)
        ("differential privacy", EntityType.METHOD, "Differential Privacy"),
        ("dictionary learning", EntityType.METHOD, "Dictionary Learning"),
    ],
)
def test_resources_known_concepts_resolve(form: str, type_: EntityType, name: str) -> None:
    assert [e.name for e in _find(form, type_)] == [name]


@pytest.mark.parametrize(
    ("form", "type_"),
    [
        ("reinforcement learning", EntityType.METHOD),  # a field/setting: a task, never a method
        ("imitation learning", EntityType.METHOD),
        ("offline reinforcement learning", EntityType.METHOD),
        ("Markov decision process", None),  # problem formalisms go nowhere
        ("reward function", None),
        ("value function", None),
        ("neural networks", None),
        ("Attention", None),  # common English words from Papers with Code are filtered
        ("Dropout", EntityType.TASK),
        ("Classification", None),
        ("Decision Making", None),
        ("Linear Layer", None),  # building block
    ],
)
def test_resources_guideline_exclusions(form: str, type_: EntityType | None) -> None:
    assert _find(form, type_) == []


# --------------------------------------------------------------------------- user files


def test_resources_user_jsonl_and_csv_load(tmp_path: Path) -> None:
    jsonl = tmp_path / "mine.jsonl"
    jsonl.write_text(
        json.dumps({"name": "Flux Policy Optimization", "type": "method", "aliases": ["FPO"]})
        + "\n\n"
        + json.dumps({"name": "Proximal Policy Optimization", "type": "method", "aliases": ["PPO", "PPO2"]})
        + "\n",
        encoding="utf-8",
    )
    table = tmp_path / "mine.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "type", "aliases"])
        writer.writerow(["GridWorld-X", "benchmark", "GWX|Grid World X"])
        writer.writerow(["Tiny Corpus", "dataset", ""])
    entries = load_resources([jsonl, table])
    fpo = [e for e in entries if e.name == "Flux Policy Optimization"]
    assert fpo == [ResourceEntry(name="Flux Policy Optimization", type=EntityType.METHOD, aliases=("FPO",))]
    grid = [e for e in entries if e.name == "GridWorld-X"][0]
    assert grid.type is EntityType.BENCHMARK and grid.aliases == ("GWX", "Grid World X")
    assert [e.aliases for e in entries if e.name == "Tiny Corpus"] == [()]
    # a user entry replaces the shipped entry of the same type and name
    ppo = [e for e in entries if e.name == "Proximal Policy Optimization"]
    assert len(ppo) == 1 and ppo[0].aliases == ("PPO", "PPO2") and ppo[0].source == "curated"
    assert len(entries) == len(load_resources()) + 3


@pytest.mark.parametrize(
    ("filename", "content", "line", "fragment"),
    [
        ("bad.jsonl", '{"name": "A", "type": "method"}\n{"name": "B", "type": \n', 2, "invalid JSON"),
        ("bad.jsonl", '{"name": "A"}\n', 1, 'field "type" is missing'),
        ("bad.jsonl", '{"name": "A", "type": "gadget"}\n', 1, 'field "type"'),
        ("bad.jsonl", '{"name": "", "type": "task"}\n', 1, "name must not be empty"),
        ("bad.jsonl", '{"name": "A", "type": "task", "aliases": "B"}\n', 1, "must be a list"),
        ("bad.jsonl", '{"name": "A", "type": "repo"}\n', 1, "not a resource type"),
        ("bad.jsonl", '["A", "method"]\n', 1, "expected a JSON object"),
        ("bad.jsonl", '{"name": "A", "type": "task", "colour": "red"}\n', 1, 'field "colour"'),
        ("bad.csv", "name,kind\nA,method\n", 1, "header must contain name,type"),
        ("bad.csv", "name,type,aliases\nA,method,\nB,dataset,x,y\n", 3, "expected 3 columns"),
        ("bad.csv", "name,type,aliases\nA,gizmo,\n", 2, 'field "type"'),
        ("bad.csv", "name,type,url\nA,method,x\n", 1, "unknown CSV column"),
    ],
)
def test_resources_bad_user_file_names_file_and_line(
    tmp_path: Path, filename: str, content: str, line: int, fragment: str
) -> None:
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_resources([path])
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    assert fragment in message
    assert "—" in message and "\n" not in message  # says how to fix, on one line


def test_resources_missing_user_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="resource file not found"):
        load_resources([tmp_path / "nope.jsonl"])


def test_resources_non_utf8_user_file_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,type\nRésumé Net,method\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_resources([path])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Large Language Models", "large language model"),
        ("Meta-World", "meta world"),
        ("actor-critic", "Actor Critic"),
        ("diffusion policies", "Diffusion Policy"),
    ],
)
def test_resources_lookup_key_is_lenient(a: str, b: str) -> None:
    assert lookup_key(a) == lookup_key(b)


def test_resources_lookup_key_keeps_distinct_names_apart() -> None:
    assert lookup_key("GPT-4") != lookup_key("GPT-3")
    assert lookup_key("Atari") != lookup_key("Atari 2600")


# --------------------------------------------------------------------------- build script


def _fake_external(root: Path) -> Path:
    """A tiny external folder in the real formats (PwC, ITO, SciERC, SciREX)."""
    (root / "pwc").mkdir(parents=True)
    methods = [
        {"name": "PPO", "full_name": "Proximal Policy Optimization", "num_papers": 9,
         "collections": [{"collection": "Policy Gradient Methods"}]},
        {"name": "Linear Layer", "full_name": "Linear Layer", "num_papers": 9,
         "collections": [{"collection": "Feedforward Networks"}]},
        {"name": "Attention", "full_name": "Attention", "num_papers": 9,
         "collections": [{"collection": "Attention Mechanisms"}]},
        {"name": "GELU", "full_name": "Gaussian Error Linear Units", "num_papers": 900,
         "collections": [{"collection": "Activation Functions"}]},
        {"name": "ZYX-Net", "full_name": "Zig Yak Xylophone Network", "num_papers": 1, "collections": []},
        {"name": "MDP", "full_name": "Markov Decision Process", "num_papers": 1, "collections": []},
        {"name": "SCN", "full_name": "Self-Cure Network", "num_papers": 5, "collections": []},
    ]
    with gzip.open(root / "pwc" / "methods.json.gz", "wt", encoding="utf-8") as handle:
        json.dump(methods, handle)
    (root / "pwc" / "data_all_tasks.txt").write_text(
        '"Continuous Control"\n"Classification"\n"Atari Games"\n"Quokka Counting"\n', encoding="utf-8"
    )
    with (root / "pwc" / "results_all_tasks_detailed.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Category", "Task Name", "Common Datasets (Top 10)", "Benchmarks"])
        writer.writerow(["RL", "Quokka Counting", "QuokkaSet-1k; IS-A; SSL", "QuokkaSet-1k test; Zebra Yard val"])
    with (root / "pwc" / "results_task_hierarchy.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Parent Task", "Child Tasks Count", "Child Tasks"])
        writer.writerow(["Robot Manipulation", "1", "Quokka Grasping"])
    (root / "ito").mkdir()
    ito = {"name": "AI process", "children": [
        {"name": "Vision process", "children": [
            {"name": "Wombat tracking", "hasExactSynonym": "['Wombat following']"}]}]}
    (root / "ito" / "ai-process.json").write_text(json.dumps(ito), encoding="utf-8")
    (root / "scierc").mkdir()
    sentence = "it is a fact that we use attention and dropout for classification with a linear layer".split()
    lines = [json.dumps({"sentences": [sentence] * 3})]
    (root / "scierc" / "train.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_resources_build_is_deterministic_and_filters(tmp_path: Path) -> None:
    build = _build_module()
    external = _fake_external(tmp_path / "external")
    outs = [tmp_path / "out1", tmp_path / "out2"]
    for out in outs:
        assert build.main([str(external), "--out", str(out)]) == 0
    for filename in RESOURCE_FILES.values():
        assert (outs[0] / filename).read_bytes() == (outs[1] / filename).read_bytes()

    def names(filename: str) -> dict[str, dict]:
        rows = [json.loads(line) for line in (outs[0] / filename).read_text(encoding="utf-8").splitlines()]
        return {row["name"]: row for row in rows}

    methods, tasks, datasets = names("methods.jsonl"), names("tasks.jsonl"), names("datasets.jsonl")
    benchmarks = names("benchmarks.jsonl")
    assert methods["Proximal Policy Optimization"]["source"] == "curated+pwc"  # merged into curated
    assert methods["Gaussian Error Linear Units"]["aliases"] == ["GELU"]
    assert methods["Zig Yak Xylophone Network"] == {
        "name": "Zig Yak Xylophone Network", "type": "method", "aliases": ["ZYX-Net"], "source": "pwc"}
    assert "aliases" not in methods["Self-Cure Network"]  # rare short acronym: too ambiguous
    for dropped in ("Linear Layer", "Attention", "Markov Decision Process", "MDP", "SCN"):
        assert dropped not in methods
    assert "Classification" not in tasks and "Quokka Counting" in tasks
    assert tasks["Quokka Grasping"]["parents"] == ["Robot Manipulation"]
    assert tasks["Wombat tracking"]["aliases"] == ["Wombat following"]
    assert tasks["Wombat tracking"]["source"] == "ito"
    # a curated concept absorbs the external name (curated type wins; case variants add nothing)
    assert "Atari Games" not in tasks and "pwc" in benchmarks["Atari"]["source"].split("+")
    assert "QuokkaSet-1k" in datasets and "Zebra Yard" in datasets  # split suffixes stripped
    assert "IS-A" not in datasets and "SSL" not in datasets


def test_resources_shipped_files_match_a_fresh_build(tmp_path: Path) -> None:
    if not (EXTERNAL / "pwc" / "methods.json.gz").is_file():
        pytest.skip(f"external research data not available at {EXTERNAL}")
    build = _build_module()
    assert build.main([str(EXTERNAL), "--out", str(tmp_path)]) == 0
    for filename in RESOURCE_FILES.values():
        assert (tmp_path / filename).read_bytes() == (DATA_DIR / filename).read_bytes(), (
            f"kg/data/{filename} is stale: run python scripts/build_resources.py"
        )


@pytest.mark.parametrize("metric", ["bleu", "fid", "rouge-l", "psnr", "iou"])
def test_resources_metrics_are_generic_and_never_resource_names(metric: str) -> None:
    from kg.resources import generic_terms, load_resources, lookup_key

    assert metric in generic_terms()
    assert all(lookup_key(e.name) != lookup_key(metric) for e in load_resources())
