"""Canonicalization: one concept, one node; types never merge."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kg.canonical import AliasIndex, canonicalize, is_acronym, normalize, repo_id
from kg.models import (
    Abbreviation,
    EntityType,
    Extraction,
    Link,
    LinkKind,
    Mention,
    Paper,
)

M, D, T = EntityType.METHOD, EntityType.DATASET, EntityType.TASK


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Proximal Policy Optimization", "proximal policy optimization"),
        ("proximal policy optimisation", "proximal policy optimization"),
        ("Proximal-Policy Optimizations", "proximal policy optimization"),
        ("Diffusion Policies", "diffusion policy"),
        ("LLMs", "llm"),
        ("Gaussian processes", "gaussian process"),
        ("noise", "noise"),
        ("analysis", "analysis"),
    ],
)
def test_canonical_normalize(text: str, key: str) -> None:
    assert normalize(text) == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PPO", True), ("DPPO", True), ("LLMs", True), ("GPT-4", True), ("Transformer", False),
     ("policy", False), ("a", False)],
)
def test_canonical_is_acronym(text: str, expected: bool) -> None:
    assert is_acronym(text) is expected


@pytest.mark.parametrize(
    ("url", "rid"),
    [
        ("https://github.com/Owner/Repo", "repo:github:owner/repo"),
        ("https://huggingface.co/datasets/org/data", "repo:huggingface:datasets/org/data"),
        ("https://huggingface.co/org/model", "repo:huggingface:org/model"),
        ("https://gitlab.com/a/b", "repo:gitlab:a/b"),
        ("https://diffusion-ppo.github.io", None),
        ("https://example.org/x", None),
    ],
)
def test_canonical_repo_id(url: str, rid: str | None) -> None:
    assert repo_id(url) == rid


def _m(text: str, type_: EntityType = M, start: int = 0, **kw: object) -> Mention:
    return Mention(text=text, type=type_, field="abstract", start=start, end=start + len(text),
                   sentence="s", rule="test", **kw)


def _canon(exts: list[Extraction], resources: list[object] = ()) -> dict:  # type: ignore[assignment]
    papers = [Paper(id=e.paper_id, title=e.paper_id) for e in exts]
    index = AliasIndex.build(resources, exts)
    return {pc.id: pc for pc in canonicalize(papers, exts, index=index)}


def test_canonical_acronym_merges_with_long_form_across_papers() -> None:
    a = Extraction(paper_id="paper:a", mentions=(_m("Proximal Policy Optimization"), _m("PPO", start=40)),
                   abbreviations=(Abbreviation(short="PPO", long="Proximal Policy Optimization"),))
    b = Extraction(paper_id="paper:b", mentions=(_m("PPO"),))
    c = Extraction(paper_id="paper:c", mentions=(_m("proximal policy optimisation"),))
    out = _canon([a, b, c])
    ids = {pid: [e.id for e in pc.entities] for pid, pc in out.items()}
    assert ids == {pid: ["method:proximal-policy-optimization"] for pid in ("paper:a", "paper:b", "paper:c")}
    ent = out["paper:a"].entities[0]
    assert ent.name == "Proximal Policy Optimization"
    assert ent.aliases == ("PPO",)
    assert len(ent.mentions) == 2


def test_canonical_types_never_merge() -> None:
    a = Extraction(paper_id="paper:a", mentions=(_m("MATH", M), _m("MATH", D, start=10)))
    ids = sorted(e.id for e in _canon([a])["paper:a"].entities)
    assert ids == ["dataset:math", "method:math"]


def test_canonical_resources_resolve_aliases() -> None:
    entry = SimpleNamespace(name="Soft Actor-Critic", type="method", aliases=("SAC",))
    a = Extraction(paper_id="paper:a", mentions=(_m("SAC"),))
    ent = _canon([a], [entry])["paper:a"].entities[0]
    assert (ent.id, ent.name) == ("method:soft-actor-critic", "Soft Actor-Critic")


def test_canonical_local_definition_beats_resources() -> None:
    entry = SimpleNamespace(name="Soft Actor-Critic", type="method", aliases=("SAC",))
    a = Extraction(paper_id="paper:a", mentions=(_m("SAC"),),
                   abbreviations=(Abbreviation(short="SAC", long="Self-Attention Critic"),))
    assert _canon([a], [entry])["paper:a"].entities[0].id == "method:self-attention-critic"


def test_canonical_proposed_and_repo_links() -> None:
    link = Link(url="https://github.com/o/n", kind=LinkKind.CODE, start=5, end=19,
                text="github.com/o/n")
    page = Link(url="https://x.github.io", kind=LinkKind.PROJECT_PAGE, start=30, end=41,
                text="x.github.io")
    a = Extraction(paper_id="paper:a", mentions=(_m("FooNet", proposed=True),), links=(link, page))
    pc = _canon([a])["paper:a"]
    by_id = {e.id: e for e in pc.entities}
    assert by_id["method:foonet"].proposed is True
    assert by_id["repo:github:o/n"].type is EntityType.REPO
    assert pc.links == ("https://github.com/o/n", "https://x.github.io")


def test_canonical_is_order_independent() -> None:
    a = Extraction(paper_id="paper:a", mentions=(_m("PPO"),))
    b = Extraction(paper_id="paper:b", mentions=(_m("Proximal Policy Optimization"),),
                   abbreviations=(Abbreviation(short="PPO", long="Proximal Policy Optimization"),))
    first = _canon([a, b])
    second = _canon([b, a])
    assert first == second
