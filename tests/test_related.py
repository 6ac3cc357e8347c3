"""Tests of kg.related: hand-computed rankings, reasons, all-neighbours vs brute force, bytes."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import KGError
from kg.models import EntityType, Paper, PaperEntity
from kg.related import (
    _budget_rows,
    _dense_pair_dots,
    _search_sorted_needles,
    _row_of,
    _count_grams,
    RelatedConfig,
    RelatedIndex,
    analyze,
    find_abbreviations,
    fold,
    majority_abbreviations,
)

RECALL = 0.9

PLAIN = RelatedConfig(title_weight=1, w_concepts=0.0, hub_alpha=0.0, w_semantic=0.0,
                      feedback_beta=0.0, feedback_gamma=0.0)
"""Lexical cosine only: rankings that can be computed by hand."""


def _paper(pid: str, title: str, abstract: str = "") -> Paper:
    return Paper(id=f"paper:{pid}", title=title, abstract=abstract)


def _method(name: str, *aliases: str, proposed: bool = False) -> PaperEntity:
    from kg.models import entity_id

    return PaperEntity(id=entity_id(EntityType.METHOD, name), type=EntityType.METHOD, name=name,
                       aliases=aliases, proposed=proposed)


def _task(name: str) -> PaperEntity:
    from kg.models import entity_id

    return PaperEntity(id=entity_id(EntityType.TASK, name), type=EntityType.TASK, name=name)


@pytest.mark.parametrize(
    ("word", "folded"),
    [("policies", "policy"), ("Models", "model"), ("process", "process"), ("dynamics", "dynamics"),
     ("bias", "bias"), ("approaches", "approach"), ("RL", "rl")],
)
def test_related_fold_plurals(word: str, folded: str) -> None:
    assert fold(word) == folded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We use Proximal Policy Optimization (PPO) here.",
         {"PPO": "Proximal Policy Optimization"}),
        ("a mixture of experts (MoE) layer", {"MoE": "mixture of experts"}),
        ("large language models (LLMs) are", {"LLM": "large language models"}),
        ("results (see Table 2) and (ii) more", {}),
    ],
)
def test_related_find_abbreviations(text: str, expected: dict[str, str]) -> None:
    assert find_abbreviations(text) == expected


def test_related_analyze_expands_acronyms_local_before_corpus() -> None:
    corpus = {"DP": "dynamic programming"}
    assert analyze("DP for robots", {"DP": "Diffusion Policy"}, corpus) == [
        "diffusion", "policy", "robot"]
    assert analyze("DP for robots", {}, corpus) == ["dynamic", "programming", "robot"]
    assert majority_abbreviations([{"DP": "Dynamic Programming"}, {"DP": "dynamic programming"},
                                   {"DP": "Diffusion Policy"}]) == {"DP": "dynamic programming"}


def test_related_lexical_ranking_matches_hand_computed_cosine() -> None:
    # Unigram + bigram tf-idf (sublinear tf, idf = ln((1+n)/(1+df)) + 1), cosine, by hand.
    papers = [
        _paper("q", "alpha beta"),
        _paper("a", "alpha beta gamma"),
        _paper("b", "alpha delta"),
        _paper("c", "epsilon zeta"),
    ]
    index = RelatedIndex.fit(papers, {}, config=PLAIN, embeddings=False)
    n = 4
    idf = {t: math.log((1 + n) / (1 + df)) + 1 for t, df in {
        "alpha": 3, "beta": 2, "gamma": 1, "delta": 1, "epsilon": 1, "zeta": 1,
        "alpha beta": 2, "beta gamma": 1, "alpha delta": 1, "epsilon zeta": 1}.items()}

    def vec(*terms: str) -> dict[str, float]:
        norm = math.sqrt(sum(idf[t] ** 2 for t in terms))
        return {t: idf[t] / norm for t in terms}

    q = vec("alpha", "beta", "alpha beta")
    a = vec("alpha", "beta", "gamma", "alpha beta", "beta gamma")
    b = vec("alpha", "delta", "alpha delta")
    expected_a = sum(q[t] * a.get(t, 0.0) for t in q)
    expected_b = sum(q[t] * b.get(t, 0.0) for t in q)
    hits = index.neighbours("paper:q", k=3)
    assert [h.paper_id for h in hits] == ["paper:a", "paper:b"]  # c shares nothing
    assert hits[0].score == pytest.approx(expected_a, rel=1e-5)
    assert hits[1].score == pytest.approx(expected_b, rel=1e-5)
    assert hits[0].components == {"lexical": pytest.approx(expected_a, rel=1e-5),
                                  "concepts": 0.0}


def test_related_acronym_meets_long_form() -> None:
    papers = [
        _paper("a", "Proximal Policy Optimization (PPO) for legged robots"),
        _paper("b", "PPO with curriculum"),
        _paper("c", "Curriculum design for legged robots"),
    ]
    index = RelatedIndex.fit(papers, {}, config=PLAIN, embeddings=False)
    top = index.neighbours("paper:b", k=1)[0]
    assert top.paper_id == "paper:a"
    assert "proximal policy" in top.shared_terms


def test_related_acronyms_from_the_extractor_expand_terms() -> None:
    # paper a never writes "long form (GRPO)": only the extractor's definitions connect it to b
    papers = [
        _paper("a", "GRPO for theorem provers"),
        _paper("b", "Group relative policy optimization revisited"),
        _paper("c", "Kalman filters for tracking"),
    ]
    defined = {"paper:a": {"GRPO": "Group Relative Policy Optimization"}}
    with_defs = RelatedIndex.fit(papers, {}, config=PLAIN, embeddings=False,
                                 abbreviations=defined)
    top = with_defs.neighbours("paper:a", k=1)
    assert [h.paper_id for h in top] == ["paper:b"]
    assert "group relative" in top[0].shared_terms
    scanned = RelatedIndex.fit(papers, {}, config=PLAIN, embeddings=False)
    assert scanned.neighbours("paper:a", k=1) == []
    # a text query takes the acronyms its own extraction found
    hits = with_defs.search("KF tracking of robots", abbreviations={"KF": "Kalman filters"})
    assert hits[0].paper_id == "paper:c" and "kalman filter" in hits[0].shared_terms
    assert "kalman filter" not in with_defs.search("KF tracking of robots")[0].shared_terms


def test_related_entity_features_do_not_depend_on_paper_order() -> None:
    # the same entity with different surface forms per paper: its matching keys are all of them
    papers = [_paper(x, "a study of learning") for x in "abc"]
    concepts = {
        "paper:a": [_method("PPO", "Proximal Policy Optimization")],
        "paper:b": [_method("PPO")],
        "paper:c": [_method("Clipped Proximal Policy Optimization")],
    }
    cfg = RelatedConfig(w_concepts=1.0, hub_alpha=0.0, feedback_beta=0.0, feedback_gamma=0.0)
    scores = []
    for order in ("abc", "bac", "cba"):
        index = RelatedIndex.fit([papers["abc".index(x)] for x in order], concepts, config=cfg,
                                 embeddings=False, resources=())
        scores.append({h.paper_id: round(h.components["concepts"], 9)
                       for h in index.neighbours("paper:c", k=2)})
    assert scores[0] == scores[1] == scores[2]
    assert scores[0]["paper:b"] > 0  # b's PPO is a's PPO, whose long form shares c's words


def test_related_concepts_rank_shared_rare_concept_first() -> None:
    # Same words everywhere; only the concepts tell the papers apart.
    papers = [_paper(x, "a study of learning") for x in "qabc"]
    concepts = {
        "paper:q": [_method("Decision Transformer", proposed=True), _task("offline RL")],
        "paper:a": [_method("Decision Transformer")],
        "paper:b": [_task("offline RL")],
        "paper:c": [_method("Kalman filter")],
    }
    cfg = RelatedConfig(w_concepts=1.0, hub_alpha=0.0, w_word=0.0, w_parent=0.0)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    hits = index.neighbours("paper:q", k=3)
    assert [h.paper_id for h in hits] == ["paper:a", "paper:b", "paper:c"]
    assert hits[0].components["concepts"] > hits[1].components["concepts"] > 0
    assert hits[2].components["concepts"] == 0
    shared = hits[0].shared_concepts
    assert [(c.id, c.type, c.name) for c in shared] == [
        ("method:decision-transformer", EntityType.METHOD, "Decision Transformer")]


def test_related_soft_matching_acronym_hierarchy_and_words() -> None:
    papers = [_paper(x, "a study of learning") for x in "qabcd"]
    concepts = {
        "paper:q": [_method("Diffusion Policy"), _method("PPO")],
        "paper:a": [_method("diffusion model")],                       # broader concept
        "paper:b": [_method("Proximal Policy Optimization", "PPO")],   # acronym <-> long form
        "paper:c": [_method("Kalman filter")],
        "paper:d": [_method("Sparse Diffusion Policy")],                # word-suffix hierarchy
    }

    class Entry:
        def __init__(self, name: str, parents: tuple[str, ...]) -> None:
            self.name, self.aliases, self.parents = name, (), parents

    cfg = RelatedConfig(w_concepts=1.0, hub_alpha=0.0)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False,
                             resources=[Entry("Diffusion Policy", ("diffusion model",))])
    hits = {h.paper_id: h for h in index.neighbours("paper:q", k=4)}
    assert hits["paper:c"].components["concepts"] == 0
    for pid in ("paper:a", "paper:b", "paper:d"):
        assert hits[pid].components["concepts"] > 0, pid
        assert hits[pid].shared_concepts, pid
    assert hits["paper:a"].shared_concepts[0].via == "broader: diffusion model"
    assert hits["paper:b"].shared_concepts[0].name == "Proximal Policy Optimization"


def test_related_types_filter_counts_only_those_types() -> None:
    papers = [_paper(x, "a study of learning") for x in "qab"]
    concepts = {
        "paper:q": [_method("Decision Transformer"), _task("robot manipulation")],
        "paper:a": [_method("Decision Transformer")],
        "paper:b": [_task("robot manipulation")],
    }
    cfg = RelatedConfig(w_concepts=1.0, hub_alpha=0.0)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    hits = index.neighbours("paper:q", k=2, types={EntityType.TASK})
    assert hits[0].paper_id == "paper:b"
    assert hits[1].components["concepts"] == 0
    assert all(c.type is EntityType.TASK for h in hits for c in h.shared_concepts)


def test_related_every_hit_has_reasons_and_components_sum_to_score() -> None:
    papers = [
        _paper("a", "Offline reinforcement learning with diffusion policies",
               "We train a diffusion policy on D4RL."),
        _paper("b", "Diffusion policies for robot manipulation", "Imitation of demonstrations."),
        _paper("c", "Offline RL benchmarks", "We compare offline reinforcement learning on D4RL."),
        _paper("d", "Robot manipulation from language", "Language-conditioned policies."),
        _paper("e", "Protein folding", "Structure prediction of enzymes."),
    ]
    concepts = {"paper:a": [_method("Diffusion Policy")], "paper:b": [_method("Diffusion Policy")]}
    index = RelatedIndex.fit(papers, concepts, embeddings=False)
    listed = 0
    for pid, hits in index.all_neighbours(k=3):
        assert hits == index.neighbours(pid, k=3)
        for hit in hits:
            listed += 1
            assert hit.paper_id not in (pid, "paper:e")  # nothing in common: never listed
            assert hit.shared_terms or hit.shared_concepts
            assert set(hit.components) == {"lexical", "concepts", "semantic", "hub",
                                           "feedback"}
            assert hit.score == pytest.approx(sum(hit.components.values()))
    assert listed >= 8
    assert index.neighbours("paper:e") == []


def test_related_search_free_text() -> None:
    papers = [
        _paper("a", "Trust region policy optimization", "Monotonic improvement guarantees."),
        _paper("b", "Image classification with residual networks", "Deep residual learning."),
    ]
    index = RelatedIndex.fit(papers, {}, embeddings=False)
    hits = index.search("policy optimization with a trust region", k=2)
    assert [h.paper_id for h in hits] == ["paper:a"]
    assert "trust region" in hits[0].shared_terms


def test_related_search_with_concepts_lists_shared_concepts() -> None:
    papers = [_paper(x, "a study of learning") for x in "abcdefgh"]
    concepts = {"paper:h": [_method("Decision Transformer")]}
    index = RelatedIndex.fit(papers, concepts, embeddings=False, resources=())
    # the query's concepts outnumber the papers: feature ids must not be taken for paper rows
    query = [_method(f"method {i}") for i in range(20)] + [_method("Decision Transformer")]
    hits = index.search("learning", query, k=8)
    top = [h for h in hits if h.paper_id == "paper:h"][0]
    assert [c.name for c in top.shared_concepts] == ["Decision Transformer"]
    assert hits[0].paper_id == "paper:h"


def test_related_unknown_paper_and_duplicate_ids() -> None:
    index = RelatedIndex.fit([_paper("a", "x y")], {}, embeddings=False)
    with pytest.raises(KGError, match='unknown paper "paper:zz"'):
        index.neighbours("paper:zz")
    with pytest.raises(KGError, match="duplicate paper id"):
        RelatedIndex.fit([_paper("a", "x"), _paper("a", "y")], {}, embeddings=False)


def _random_corpus(n: int, seed: int, vocab: int = 60,
                   zipf: bool = False) -> tuple[list[Paper], dict[str, list[PaperEntity]]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    weights = [1.0 / (i + 1) for i in range(vocab)] if zipf else None
    names = ["Decision Transformer", "PPO", "diffusion model", "Kalman filter", "offline RL",
             "robot manipulation", "Soft Actor-Critic", "graph neural network"]
    papers, concepts = [], {}
    for i in range(n):
        papers.append(_paper(str(i), " ".join(rng.choices(words, weights, k=4)),
                             " ".join(rng.choices(words, weights, k=rng.randint(5, 30)))))
        concepts[f"paper:{i}"] = [_method(nm) for nm in rng.sample(names, rng.randint(0, 3))]
    return papers, concepts


def test_related_all_neighbours_equals_brute_force_on_chunked_sparse_path() -> None:
    papers, concepts = _random_corpus(120, seed=7)
    # exact_below=0 forces the large-corpus path: sparse products in chunks, pair rescoring
    # (no semantic component: its vectors are not in the candidate postings, see the next test)
    cfg = RelatedConfig(exact_below=0, pool=15, chunk=16, prune_features=10_000, hub_alpha=0.0,
                        w_semantic=0.0, feedback_beta=0.0, feedback_gamma=0.0)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    ids = [p.id for p in papers]
    row = {pid: i for i, pid in enumerate(ids)}
    lex = (index._x @ index._x.T).toarray() * cfg.w_lexical
    con = (index._c @ index._c.T).toarray() * cfg.w_concepts
    brute = lex + con
    np.fill_diagonal(brute, -np.inf)
    seen = 0
    for pid, hits in index.all_neighbours(k=5):
        r = row[pid]
        got = [h.score for h in hits]
        want = np.sort(brute[r])[::-1][:5]
        assert got == pytest.approx(list(want), abs=1e-9)
        for h in hits:
            assert brute[r, row[h.paper_id]] == pytest.approx(h.score, abs=1e-9)
        assert [h.paper_id for h in hits] == [h.paper_id for h in index.neighbours(pid, k=5)] or (
            got == pytest.approx([h.score for h in index.neighbours(pid, k=5)], abs=1e-9))
        seen += 1
    assert seen == len(papers)


def test_related_semantic_component_rescored_exactly_on_chunked_path() -> None:
    papers, concepts = _random_corpus(120, seed=7)
    cfg = RelatedConfig(exact_below=0, pool=15, chunk=16, prune_features=10_000, hub_alpha=0.0,
                        feedback_beta=0.0, feedback_gamma=0.0)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    assert index._sem is not None
    row = {p.id: i for i, p in enumerate(papers)}
    brute = ((index._x @ index._x.T).toarray() * cfg.w_lexical
             + (index._c @ index._c.T).toarray() * cfg.w_concepts
             + (index._sem @ index._sem.T).astype(np.float64) * cfg.w_semantic)
    for pid, hits in index.all_neighbours(k=5):
        for h in hits:
            assert h.components["semantic"] == pytest.approx(
                float(index._sem[row[pid]] @ index._sem[row[h.paper_id]]) * cfg.w_semantic,
                abs=1e-12)
            assert h.score == pytest.approx(brute[row[pid], row[h.paper_id]], abs=1e-9)


def test_related_all_neighbours_with_pruning_keeps_most_true_neighbours() -> None:
    # word frequencies follow Zipf's law as in real abstracts
    papers, concepts = _random_corpus(300, seed=3, vocab=2000, zipf=True)
    exact = RelatedIndex.fit(papers, concepts, embeddings=False, resources=())
    pruned = RelatedIndex.fit(
        papers, concepts, embeddings=False, resources=(),
        config=replace(RelatedConfig(), exact_below=0, chunk=64),  # shipped pool and pruning
    )
    truth = {pid: {h.paper_id for h in hits} for pid, hits in exact.all_neighbours(k=10)}
    found = {pid: {h.paper_id for h in hits} for pid, hits in pruned.all_neighbours(k=10)}
    recall = np.mean([len(truth[p] & found[p]) / 10 for p in truth])
    assert recall >= RECALL


def test_related_to_bytes_round_trip_gives_identical_hits() -> None:
    papers, concepts = _random_corpus(40, seed=11)
    index = RelatedIndex.fit(papers, concepts, embeddings=False)
    blob = index.to_bytes()
    assert blob[:2] == b"PK"  # a zip (.npz) archive, loaded without pickle
    loaded = RelatedIndex.from_bytes(blob)
    assert loaded.config == index.config
    for pid in ("paper:0", "paper:17", "paper:39"):
        assert loaded.neighbours(pid, k=5) == index.neighbours(pid, k=5)
    assert loaded.search("w1 w2 w3", concepts[papers[0].id], k=3) == index.search(
        "w1 w2 w3", concepts[papers[0].id], k=3)
    assert dict(loaded.all_neighbours(k=3)) == dict(index.all_neighbours(k=3))


def _as_written_before(blob: bytes, config_keys: tuple[str, ...],
                       files: tuple[str, ...] = ()) -> bytes:
    """A stored index as an older kg wrote it: without these config keys and array files."""
    import io
    import json
    import zipfile

    old = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as zf, zipfile.ZipFile(old, "w") as out:
        assert set(files) <= set(zf.namelist())
        for name in zf.namelist():
            if name in files:
                continue
            data = zf.read(name)
            if name == "meta.npy":
                meta = json.loads(np.load(io.BytesIO(data)).tobytes().decode("utf-8"))
                for key in config_keys:
                    del meta["config"][key]
                buffer = io.BytesIO()
                np.save(buffer, np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
                data = buffer.getvalue()
            out.writestr(name, data)
    return old.getvalue()


def test_related_index_stored_before_symmetric_feedback_ranks_as_its_edges_were_ranked() -> None:
    """A stored index without the papers' own best lists (written before the symmetric feedback
    existed, its config without ``feedback_gamma``) loads with that part off, so ``kg related``
    still lists what the store's edges hold; one written now keeps the lists and the part."""
    papers, concepts = _random_corpus(40, seed=11)
    index = RelatedIndex.fit(papers, concepts, embeddings=False)
    assert index.config.feedback_gamma > 0
    before = RelatedIndex.fit(papers, concepts, embeddings=False,
                              config=replace(RelatedConfig(), feedback_gamma=0.0))
    loaded_old = RelatedIndex.from_bytes(
        _as_written_before(index.to_bytes(), ("feedback_gamma",), ("own_top.npy",)))
    assert loaded_old.config.feedback_gamma == 0.0
    loaded_new = RelatedIndex.from_bytes(index.to_bytes())
    assert np.array_equal(loaded_new._own_top, index._own_top)
    changed = 0
    for pid in [p.id for p in papers]:
        assert loaded_old.neighbours(pid, k=5) == before.neighbours(pid, k=5)
        assert loaded_new.neighbours(pid, k=5) == index.neighbours(pid, k=5)
        changed += index.neighbours(pid, k=5) != before.neighbours(pid, k=5)
    assert changed > 0  # the symmetric part does change some lists


def _loads_with_the_older_rule(cfg: RelatedConfig, older: RelatedConfig,
                               dropped: tuple[str, ...]) -> RelatedIndex:
    """Fit a Zipf corpus on the large-corpus path with ``cfg`` and with ``older``; the ``older``
    index written without the ``dropped`` config keys must list, once loaded, what its edges
    hold (and the new one what its own edges hold), and the two rules must differ somewhere.
    Returns the older index as loaded, for its config to be checked."""
    papers, concepts = _random_corpus(300, seed=5, vocab=500, zipf=True)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    before = RelatedIndex.fit(papers, concepts, config=older, embeddings=False, resources=())
    loaded_old = RelatedIndex.from_bytes(_as_written_before(before.to_bytes(), dropped))
    edges_before, edges_now = dict(before.all_neighbours(k=7)), dict(index.all_neighbours(k=7))
    loaded_new = RelatedIndex.from_bytes(index.to_bytes())
    for pid in [p.id for p in papers][::5]:
        assert loaded_old.neighbours(pid, k=7) == edges_before[pid]
        assert loaded_new.neighbours(pid, k=7) == edges_now[pid]
    assert edges_before != edges_now  # the rule does change some lists
    return loaded_old


def test_related_index_stored_before_candidate_budget_ranks_as_its_edges_were_ranked() -> None:
    """A large-corpus index written before the candidate budget (its config without
    ``candidate_budget`` and ``whole_below``) loads with the older candidate rule, so ``kg
    related`` on a stored paper still lists what the store's edges hold."""
    cfg = replace(RelatedConfig(), exact_below=0, chunk=64, candidate_top=20)
    legacy = replace(cfg, candidate_budget=0, whole_below=20, prune_features=150)
    loaded = _loads_with_the_older_rule(cfg, legacy, ("candidate_budget", "whole_below"))
    assert (loaded.config.candidate_budget, loaded.config.whole_below) == (0, 20)


def test_related_index_stored_before_rare_first_ranks_as_its_edges_were_ranked() -> None:
    """An index written before rare features came first (its config without ``rare_first``)
    loads with the older order, so ``kg related`` still lists what the store's edges hold."""
    cfg = replace(RelatedConfig(), exact_below=0, chunk=64, candidate_top=7, whole_below=20,
                  candidate_budget=150)
    loaded = _loads_with_the_older_rule(cfg, replace(cfg, rare_first=False), ("rare_first",))
    assert loaded.config.rare_first is False


def test_related_stored_derived_arrays_load_as_computed_on_the_large_corpus_path() -> None:
    import io
    import zipfile

    papers, concepts = _example_corpus()
    # the large-corpus path: the stored index carries the semantic vectors and the postings
    cfg = replace(RelatedConfig(), exact_below=0, chunk=64)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False)
    blob = index.to_bytes()
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        names = zf.namelist()
        assert {"derived_sem.npy", "derived_xt_top_data.npy", "derived_ct_top_data.npy"} <= set(names)
        # the same index without them: the loader computes them again (older stores)
        bare = io.BytesIO()
        with zipfile.ZipFile(bare, "w") as out:
            for name in names:
                if not name.startswith("derived_"):
                    out.writestr(name, zf.read(name))
    loaded = RelatedIndex.from_bytes(blob)
    computed = RelatedIndex.from_bytes(bare.getvalue())
    assert loaded._sem is not None and np.array_equal(loaded._sem, computed._sem)
    assert np.array_equal(loaded._sem, index._sem)
    for name in ("_xt_top", "_ct_top"):
        a, b = getattr(loaded, name), getattr(computed, name)
        assert (a != b).nnz == 0 and np.array_equal(a.indptr, b.indptr)
        assert np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data)
    for pid in (papers[0].id, papers[77].id, papers[150].id):
        assert loaded.neighbours(pid, k=5) == computed.neighbours(pid, k=5) == index.neighbours(
            pid, k=5)
    text = "offline reinforcement learning with diffusion policies"
    assert loaded.search(text, k=5) == computed.search(text, k=5) == index.search(text, k=5)
    assert dict(loaded.all_neighbours(k=3)) == dict(index.all_neighbours(k=3))


def test_related_from_bytes_rejects_garbage() -> None:
    with pytest.raises(KGError, match="run `kg build` again"):
        RelatedIndex.from_bytes(b"not an index")


def test_related_custom_embedder_adds_embedding_component() -> None:
    papers = [_paper("a", "alpha robot"), _paper("b", "beta robot"), _paper("c", "gamma robot"),
              _paper("d", "delta")]
    table = {"alpha": [1.0, 0.0], "beta": [0.0, 1.0], "gamma": [0.6, 0.8], "delta": [1.0, 0.0]}

    def encode(texts: list[str]) -> np.ndarray:
        return np.array([table[t.split()[0]] for t in texts], dtype=np.float32)

    cfg = RelatedConfig(w_embedding=1.0, hub_alpha=0.0, w_semantic=0.0)
    index = RelatedIndex.fit(papers, {}, config=cfg, embedder=encode)
    hits = index.neighbours("paper:a", k=3)
    # b and c share "robot" equally; the embedding puts c first. d has the same embedding as a
    # but shares no word: nothing to show as a reason, so it is not listed.
    assert [h.paper_id for h in hits] == ["paper:c", "paper:b"]
    assert hits[0].components["embedding"] == pytest.approx(0.6, abs=1e-3)
    assert RelatedIndex.from_bytes(index.to_bytes()).neighbours("paper:a", k=2) == hits


def test_related_candidate_postings_keep_each_terms_strongest_papers() -> None:
    papers, concepts = _random_corpus(300, seed=5, vocab=500, zipf=True)
    cfg = replace(RelatedConfig(), exact_below=0, chunk=64, candidate_top=7, whole_below=20)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    cut = whole = 0
    for full, top in ((index._xt, index._xt_top), (index._ct, index._ct_top)):
        assert top.shape == full.shape
        for t in range(full.shape[0]):
            vals = np.sort(full.data[full.indptr[t]:full.indptr[t + 1]])[::-1]
            kept = top.data[top.indptr[t]:top.indptr[t + 1]]
            # read whole up to whole_below papers, else the candidate_top strongest
            assert len(kept) == (len(vals) if len(vals) <= 20 else 7)
            # float32: the postings only choose candidates, which are rescored exactly
            assert top.dtype == np.float32
            assert np.sort(kept)[::-1].tolist() == vals[: len(kept)].astype(np.float32).tolist()
            cut += len(vals) > 20
            whole += 7 < len(vals) <= 20
    assert cut and whole
    # candidates of a query come only from the kept postings of its terms and features
    rows = np.arange(0, 64)
    q, d = index._candidates(rows)
    assert len(q) and np.all(q != d)
    for r in (0, 13, 63):
        allowed = set()
        for mat, top in ((index._x, index._xt_top), (index._c, index._ct_top)):
            for t in mat.indices[mat.indptr[r]:mat.indptr[r + 1]]:
                allowed.update(top.indices[top.indptr[t]:top.indptr[t + 1]].tolist())
        assert set(d[q == r].tolist()) <= allowed
        assert len(d[q == r]) <= cfg.pool


def _budget_by_hand(matrix: sp.csr_matrix, r: int, scale: np.ndarray, cost: np.ndarray,
                    budget: int, most: int, tier: np.ndarray | None = None) -> list[int]:
    """Row ``r``'s columns that :func:`_budget_rows` keeps, one feature at a time."""
    cols = matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]].tolist()
    vals = dict(zip(cols, matrix.data[matrix.indptr[r]:matrix.indptr[r + 1]].tolist()))
    ranked = sorted(cols, key=lambda c: (0 if tier is None else tier[c], -vals[c] * scale[c], c))
    want, spent = [], 0
    for i, c in enumerate(ranked):
        spent += int(cost[c])
        if i == 0 or (spent <= budget and i < most):
            want.append(c)
    return sorted(want)


def test_related_budget_rows_keep_the_strongest_features_whose_postings_fit() -> None:
    rng = np.random.default_rng(4)
    matrix = sp.random(40, 30, density=0.4, format="csr", random_state=5)
    matrix.data = np.round(matrix.data, 1)  # ties: the lower column goes first
    scale = rng.choice([1.0, 0.05], size=30)
    cost = rng.integers(0, 50, size=30)
    got = _budget_rows(matrix, scale, cost, budget=120, most=6)
    assert got.has_sorted_indices
    for r in range(40):
        row = got.indices[got.indptr[r]:got.indptr[r + 1]].tolist()
        assert row == _budget_by_hand(matrix, r, scale, cost, 120, 6)
        full = dict(zip(matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]].tolist(),
                        matrix.data[matrix.indptr[r]:matrix.indptr[r + 1]].tolist()))
        assert got.data[got.indptr[r]:got.indptr[r + 1]].tolist() == [full[c] for c in row]


def test_related_budget_rows_take_a_lower_tier_first() -> None:
    rng = np.random.default_rng(6)
    matrix = sp.random(40, 30, density=0.4, format="csr", random_state=7)
    matrix.data = np.round(matrix.data, 1)
    scale = rng.choice([1.0, 0.05], size=30)
    cost = rng.integers(0, 50, size=30)
    tier = rng.integers(0, 2, size=30).astype(np.int8)
    got = _budget_rows(matrix, scale, cost, budget=150, most=8, tier=tier)
    differs = False
    for r in range(40):
        row = got.indices[got.indptr[r]:got.indptr[r + 1]].tolist()
        assert row == _budget_by_hand(matrix, r, scale, cost, 150, 8, tier)
        differs |= _budget_by_hand(matrix, r, scale, cost, 150, 8) != row
    assert differs  # the tiers do change what some rows take


def test_related_candidates_read_rare_features_before_common_ones() -> None:
    """On the large-corpus path a paper reads its rare features' whole postings first and its
    common features' cut postings only while the budget lasts; a paper with only common
    features still gets candidates from them."""
    papers, concepts = _random_corpus(300, seed=5, vocab=500, zipf=True)
    cfg = replace(RelatedConfig(), exact_below=0, chunk=64, candidate_top=7, whole_below=20,
                  candidate_budget=150)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    tier = index._budget_tier
    lengths = np.concatenate([np.diff(index._xt.indptr), np.diff(index._ct.indptr)])
    assert np.array_equal(tier, lengths > 20)  # cut: more than whole_below papers
    rows = np.arange(len(papers))
    _, chosen = index._candidate_task(rows)
    index.config = replace(cfg, rare_first=False)  # the older order, on the same index
    _, mixed = index._candidate_task(rows)
    index.config = cfg
    full = sp.hstack([index._x, index._c], format="csr")
    with_common = differs = 0
    for r in rows.tolist():
        row = chosen.indices[chosen.indptr[r]:chosen.indptr[r + 1]]
        every = full.indices[full.indptr[r]:full.indptr[r + 1]]
        if tier[row].any():  # a common feature read: every rare one was read before it
            with_common += 1
            assert set(every[tier[every] == 0].tolist()) <= set(row.tolist())
        differs += row.tolist() != mixed.indices[mixed.indptr[r]:mixed.indptr[r + 1]].tolist()
    assert with_common and differs
    # a paper whose features are all common: its candidates come from the cut postings
    common = np.flatnonzero(tier[: index._x.shape[1]])[:3]
    assert len(common) == 3
    lonely = RelatedIndex.fit(
        [*papers, Paper(id="paper:common", title=" ".join(index.vocab[t] for t in common))],
        concepts, config=cfg, embeddings=False, resources=())
    assert lonely.neighbours("paper:common", k=3)


def test_related_feedback_reads_pool_pairs_as_scored_and_scores_the_rest() -> None:
    """On the large-corpus path the feedback's raw scores come from the table the pools were
    scored in (one key per unordered pair), bit for bit what scoring the pair gives; pairs no
    pool holds are scored; the table built again from the pools is the same."""
    papers, concepts = _random_corpus(300, seed=5, vocab=500, zipf=True)
    cfg = replace(RelatedConfig(), exact_below=0, chunk=64)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    keys, raw, pool_d = index._feedback_keys
    assert pool_d is index._pool_d and np.all(np.diff(keys) > 0)
    owner = np.repeat(np.arange(len(papers)), np.diff(index._pool_ptr))
    n = len(papers)
    want = np.unique(np.minimum(owner, pool_d) * n + np.maximum(owner, pool_d))
    assert np.array_equal(keys, want)
    del index._feedback_keys
    rebuilt = index._pool_keys()
    assert np.array_equal(rebuilt[0], keys) and np.array_equal(rebuilt[1], raw)
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, n, 2000), rng.integers(0, n, 2000)
    a = np.concatenate([a, owner[:500], pool_d[:500]])  # pool pairs, both ways round
    b = np.concatenate([b, pool_d[:500], owner[:500]])
    held = np.isin(np.minimum(a, b) * n + np.maximum(a, b), keys)
    assert held.sum() >= 1000 and (~held).sum() >= 1000
    assert np.array_equal(index._feedback_pool_raw(a, b), index._feedback_raw(a, b, index._c))


def test_related_dense_pair_dots_equal_one_einsum_whatever_the_block() -> None:
    rng = np.random.default_rng(9)
    m = rng.standard_normal((50, 8))
    a, b = rng.integers(0, 50, 333), rng.integers(0, 50, 333)
    want = np.einsum("ij,ij->i", m[a], m[b])
    for block in (1, 7, 333, 1000):
        assert np.array_equal(_dense_pair_dots(m, a, b, block=block), want)


def test_related_search_sorted_needles_equals_searchsorted() -> None:
    rng = np.random.default_rng(8)
    keys = np.sort(rng.integers(0, 500, 300))  # with repeats
    want = np.concatenate([rng.integers(-5, 505, 200), keys[::7], [0, 499, 600]])
    rng.shuffle(want)
    assert np.array_equal(_search_sorted_needles(keys, want), np.searchsorted(keys, want))
    assert len(_search_sorted_needles(keys, want[:0])) == 0


def test_related_candidate_budget_bounds_the_postings_a_query_reads() -> None:
    papers, concepts = _random_corpus(300, seed=5, vocab=500, zipf=True)
    cfg = replace(RelatedConfig(), exact_below=0, chunk=64, candidate_budget=400)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    _, features = index._candidate_task(np.arange(300))
    cost = np.diff(index._postings.indptr)
    for r in range(300):
        cols = features.indices[features.indptr[r]:features.indptr[r + 1]]
        assert len(cols) >= 1
        assert len(cols) == 1 or cost[cols].sum() <= 400
    # a larger budget reads more and keeps more of the exact top 10
    exact = RelatedIndex.fit(papers, concepts, embeddings=False, resources=())
    truth = {pid: {h.paper_id for h in hits} for pid, hits in exact.all_neighbours(k=10)}
    recalls = []
    for budget in (400, 30_000):
        index = RelatedIndex.fit(papers, concepts, embeddings=False, resources=(),
                                 config=replace(cfg, candidate_budget=budget))
        found = {pid: {h.paper_id for h in hits} for pid, hits in index.all_neighbours(k=10)}
        recalls.append(np.mean([len(truth[p] & found[p]) / 10 for p in truth]))
    assert recalls[0] < recalls[1]


def test_related_short_candidate_postings_keep_most_true_neighbours() -> None:
    papers, concepts = _random_corpus(600, seed=3, vocab=2000, zipf=True)
    exact = RelatedIndex.fit(papers, concepts, embeddings=False, resources=())
    pruned = RelatedIndex.fit(
        papers, concepts, embeddings=False, resources=(),
        # postings far shorter than the corpus: common words reach only a few papers
        config=replace(RelatedConfig(), exact_below=0, chunk=64, candidate_top=60,
                       whole_below=60),
    )
    assert pruned._xt_top.nnz < pruned._xt.nnz
    truth = {pid: {h.paper_id for h in hits} for pid, hits in exact.all_neighbours(k=10)}
    found = {pid: {h.paper_id for h in hits} for pid, hits in pruned.all_neighbours(k=10)}
    recall = np.mean([len(truth[p] & found[p]) / 10 for p in truth])
    assert recall >= RECALL


def test_related_semantic_meets_different_words_of_similar_meaning() -> None:
    papers = [_paper("q", "Quadruped locomotion controller"),
              _paper("b", "Legged robot walking controller"),
              _paper("c", "Image segmentation controller"),
              _paper("d", "Protein folding")]
    cfg = RelatedConfig(hub_alpha=0.0)
    hits = RelatedIndex.fit(papers, {}, config=cfg, embeddings=False).neighbours("paper:q", k=3)
    # both share only "controller" (b has more words, so its lexical cosine is lower); the
    # static word vectors know that legged walking is close to quadruped locomotion
    assert [h.paper_id for h in hits] == ["paper:b", "paper:c"]
    assert hits[1].components["lexical"] > hits[0].components["lexical"]
    assert hits[0].components["semantic"] > 2 * hits[1].components["semantic"]
    plain = RelatedIndex.fit(papers, {}, config=replace(cfg, w_semantic=0.0), embeddings=False)
    assert [h.paper_id for h in plain.neighbours("paper:q", k=3)] == ["paper:c", "paper:b"]
    assert "semantic" not in plain.neighbours("paper:q", k=1)[0].components


def test_related_semantic_left_out_when_transformer_embeddings_are_on() -> None:
    papers = [_paper("a", "alpha robot"), _paper("b", "beta robot")]

    def encode(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 2), dtype=np.float32) / math.sqrt(2)

    index = RelatedIndex.fit(papers, {}, embedder=encode)
    assert set(index.neighbours("paper:a", k=1)[0].components) == {
        "lexical", "concepts", "embedding", "hub", "feedback"}


def test_related_shipped_static_vectors_are_small_and_finite(tmp_path) -> None:
    from kg.related import STATIC_VECTORS, load_static_vectors

    static = load_static_vectors()
    assert static is not None
    assert STATIC_VECTORS.stat().st_size < 3_000_000
    assert static.vectors.shape == (len(static.words), 64)
    assert np.isfinite(static.vectors).all()
    assert {"policy", "robot", "diffusion", "locomotion"} <= set(static.words)
    assert load_static_vectors(str(tmp_path / "missing.npz")) is None


# -- pseudo-relevance feedback --------------------------------------------------------------

FEEDBACK = replace(PLAIN, feedback_beta=0.5, feedback_m=3, feedback_depth=20)
"""Lexical cosine plus feedback: the feedback can be computed from plain cosines."""


def _feedback_corpus() -> list[Paper]:
    return [
        _paper("q", "diffusion policy robot manipulation"),
        _paper("a", "diffusion policy robot manipulation grasping"),
        _paper("b", "diffusion policy robot manipulation pushing"),
        _paper("c", "diffusion policy robot manipulation insertion"),
        # x and y each share one word with q, x with fewer other words (a higher cosine); y is
        # about what q's best neighbours are about, x is not
        _paper("x", "robot vacuum cleaner"),
        _paper("y", "manipulation grasping pushing insertion tactile"),
        # shares nothing with q, though it is close to q's neighbours: no reason to list it
        _paper("z", "grasping pushing insertion"),
    ]


def test_related_feedback_lifts_the_candidate_close_to_the_querys_best_papers() -> None:
    papers = _feedback_corpus()
    plain = RelatedIndex.fit(papers, {}, config=PLAIN, embeddings=False)
    order = [h.paper_id for h in plain.neighbours("paper:q", k=10)]
    assert order[:3] == ["paper:a", "paper:b", "paper:c"]
    assert order[3:] == ["paper:x", "paper:y"]
    index = RelatedIndex.fit(papers, {}, config=FEEDBACK, embeddings=False)
    hits = index.neighbours("paper:q", k=10)
    assert [h.paper_id for h in hits][3:] == ["paper:y", "paper:x"]
    assert "paper:z" not in {h.paper_id for h in hits}


def test_related_feedback_is_beta_times_mean_score_to_the_other_feedback_papers() -> None:
    papers = _feedback_corpus()
    plain = RelatedIndex.fit(papers, {}, config=PLAIN, embeddings=False)

    def cos(a: str, b: str) -> float:
        hits = {h.paper_id: h.score for h in plain.neighbours(f"paper:{a}", k=10)}
        return hits.get(f"paper:{b}", 0.0)

    index = RelatedIndex.fit(papers, {}, config=FEEDBACK, embeddings=False)
    hits = {h.paper_id: h for h in index.neighbours("paper:q", k=10)}
    for cand, voters in (("y", "abc"), ("x", "abc"), ("a", "bc"), ("b", "ac")):
        want = 0.5 * sum(cos(v, cand) for v in voters) / len(voters)
        hit = hits[f"paper:{cand}"]
        assert hit.components["feedback"] == pytest.approx(want, abs=1e-9)
        assert hit.components["lexical"] == pytest.approx(cos("q", cand), abs=1e-9)
        assert hit.score == pytest.approx(sum(hit.components.values()))
    # `ranking` (the evaluation's path) gives the same order and scores
    assert index.ranking("paper:q") == [(h.paper_id, h.score) for h in hits.values()]


def test_related_feedback_reorders_only_the_first_depth_candidates() -> None:
    papers = _feedback_corpus()
    index = RelatedIndex.fit(papers, {}, config=replace(FEEDBACK, feedback_depth=4),
                             embeddings=False)
    hits = index.neighbours("paper:q", k=10)
    # y (fifth in the first pass) is beyond the depth: no feedback, it stays behind x
    assert [h.paper_id for h in hits] == ["paper:a", "paper:b", "paper:c", "paper:x", "paper:y"]
    assert hits[4].components["feedback"] == 0.0
    assert hits[3].components["feedback"] > 0.0


def _brute_top(raw: np.ndarray, r: int, n: int) -> list[int]:
    """The ``n`` best rows of row ``r`` of a dense raw-score matrix (itself and zeros left out)."""
    first = raw[r].copy()
    first[r] = -np.inf
    top = np.lexsort((np.arange(len(first)), -first))[:n]
    return [int(j) for j in top if first[j] > 0]


def _brute_feedback(raw: np.ndarray, r: int, cfg: RelatedConfig, k: int,
                    own_raw: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Rocchio feedback by hand from a dense raw-score matrix: (row, score) of the k best.

    Each candidate also gains gamma x the mean raw score of the query to the candidate's own
    best papers (ranked by ``own_raw``, the untyped scores, when given).
    """
    own_raw = raw if own_raw is None else own_raw
    top = _brute_top(raw, r, cfg.feedback_depth)
    voters = top[: cfg.feedback_m]
    new = {}
    for j in top:
        others = [raw[v, j] for v in voters if v != j]
        gain = cfg.feedback_beta * max(0.0, float(np.mean(others)))
        own = [p for p in _brute_top(own_raw, j, cfg.feedback_m + 1) if p != r][: cfg.feedback_m]
        if cfg.feedback_gamma and own:
            gain += cfg.feedback_gamma * max(0.0, float(np.mean([raw[r, p] for p in own])))
        new[j] = raw[r, j] + gain
    return [(j, new[j]) for j in sorted(new, key=lambda j: (-new[j], j))[:k]]


def test_related_feedback_all_neighbours_equals_brute_force_and_single_queries() -> None:
    papers, concepts = _random_corpus(120, seed=7)
    cfg = RelatedConfig(exact_below=0, pool=30, chunk=16, prune_features=10_000, hub_alpha=0.0,
                        w_semantic=0.0, feedback_beta=0.3, feedback_m=3, feedback_depth=10)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    raw = ((index._x @ index._x.T).toarray() * cfg.w_lexical
           + (index._c @ index._c.T).toarray() * cfg.w_concepts)
    row = {p.id: i for i, p in enumerate(papers)}
    changed = 0
    for pid, hits in index.all_neighbours(k=5):
        want = _brute_feedback(raw, row[pid], cfg, 5)
        assert [h.paper_id for h in hits] == [papers[j].id for j, _ in want]
        assert [h.score for h in hits] == pytest.approx([v for _, v in want], abs=1e-9)
        single = index.neighbours(pid, k=5)
        assert [h.paper_id for h in single] == [h.paper_id for h in hits]
        assert [h.score for h in single] == pytest.approx([h.score for h in hits], abs=1e-12)
        plain = np.lexsort((np.arange(len(papers)), -np.where(np.arange(len(papers)) == row[pid],
                                                             -np.inf, raw[row[pid]])))[:5]
        changed += [j for j, _ in want] != plain.tolist()
    assert changed > 0  # the feedback did reorder some lists


def test_related_feedback_with_types_uses_only_those_concepts() -> None:
    papers, concepts = _random_corpus(60, seed=2)
    rng = random.Random(2)
    for pid in concepts:
        concepts[pid] = concepts[pid] + [_task(t) for t in rng.sample(
            ["offline RL", "robot manipulation", "text generation", "navigation"], 1)]
    cfg = RelatedConfig(hub_alpha=0.0, w_semantic=0.0, w_concepts=1.0, feedback_beta=0.5,
                        feedback_m=3, feedback_depth=10)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    c_task = index._typed({EntityType.TASK})[0]
    lexical = (index._x @ index._x.T).toarray() * cfg.w_lexical
    raw = lexical + (c_task @ c_task.T).toarray() * cfg.w_concepts
    # a candidate's own best papers are its edges' first pass: all concept types count there
    untyped = lexical + (index._c @ index._c.T).toarray() * cfg.w_concepts
    for r in (0, 7, 33):
        hits = index.neighbours(papers[r].id, k=5, types={EntityType.TASK})
        want = _brute_feedback(raw, r, cfg, 5, untyped)
        assert [h.paper_id for h in hits] == [papers[j].id for j, _ in want]
        assert [h.score for h in hits] == pytest.approx([v for _, v in want], abs=1e-9)


@pytest.mark.parametrize("feedback", [0.0, 0.2])
def test_related_single_query_on_the_pruned_path_equals_all_neighbours(feedback: float) -> None:
    # above exact_below a single query takes the edges' path (candidate postings, pair scores,
    # hub, feedback): `kg related` must list exactly what the RELATED_TO edges hold
    papers, concepts = _random_corpus(300, seed=5, vocab=500, zipf=True)
    cfg = replace(RelatedConfig(), exact_below=0, chunk=64, candidate_top=20,
                  feedback_beta=feedback)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, resources=())
    edges = dict(index.all_neighbours(k=7))
    loaded = RelatedIndex.from_bytes(index.to_bytes())
    for pid in [p.id for p in papers][::7]:
        assert index.neighbours(pid, k=7) == edges[pid]
        assert loaded.neighbours(pid, k=7) == edges[pid]
    # the full scan ranks every paper; on this small corpus it agrees on most top-7 lists
    exact = RelatedIndex.fit(papers, concepts, embeddings=False, resources=(),
                             config=replace(cfg, exact_below=10_000))
    same = [
        {h.paper_id for h in exact.neighbours(p.id, k=7)} == {h.paper_id for h in edges[p.id]}
        for p in papers
    ]
    assert np.mean(same) >= 0.5


def _example_corpus() -> tuple[list[Paper], dict[str, list[PaperEntity]]]:
    """The example papers (real acronyms and phrasing) with shared, interned method entities."""
    from kg.readers import read_papers

    papers = read_papers(["examples/hf-papers-policy.txt"]).papers
    rng = random.Random(3)
    pool = [_method("Proximal Policy Optimization", "PPO"), _method("PPO", proposed=True),
            _method("diffusion policy"), _method("Decision Transformer", "DT"),
            _method("offline RL"), _task("robot manipulation"), _task("offline RL")]
    concepts = {p.id: rng.sample(pool, rng.randint(0, 4)) for p in papers}
    return papers, concepts


def test_related_fit_with_workers_and_chunks_gives_the_same_index(monkeypatch) -> None:
    import kg.related as related

    papers, concepts = _example_corpus()
    # the large-corpus path (candidate postings, pooled pairs) with the shipped pool and pruning
    cfg = replace(RelatedConfig(), exact_below=0, chunk=32)

    def fit(workers: int, chunk: int) -> RelatedIndex:
        monkeypatch.setattr(related, "_POOL_FROM", 0)  # workers even for a small corpus
        monkeypatch.setattr(related, "_TEXT_CHUNK", chunk)
        return RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False, workers=workers)

    whole = fit(1, 10**6)  # one chunk: terms numbered as they first appear in the corpus
    for workers, chunk in ((1, 7), (2, 25), (3, 64)):
        index = fit(workers, chunk)
        assert index.vocab == whole.vocab
        assert index.to_bytes() == whole.to_bytes()
        assert np.array_equal(index.hub, whole.hub)
        # the links, in this process and in forked children
        assert list(index.neighbour_links(k=10, workers=workers)) == list(
            whole.neighbour_links(k=10))
    assert len(whole.corpus_abbrev) > 5  # the example papers define acronyms


def test_related_concept_rows_hold_each_papers_strongest_entity_weights() -> None:
    papers, concepts = _example_corpus()
    index = RelatedIndex.fit(papers, concepts, embeddings=False)
    pe, ef = index.paper_entities, index.entity_features.toarray()
    expected = np.zeros(index.cf.shape)
    for row in range(pe.shape[0]):
        for ent in pe.indices[pe.indptr[row]:pe.indptr[row + 1]]:
            expected[row] = np.maximum(expected[row], ef[ent])
    assert np.array_equal(index.cf.toarray(), expected)
    assert index.cf.nnz == np.count_nonzero(expected) > 0
    # one entity per (id, proposed): "PPO" proposed and "PPO" used are two, with their weights
    assert len(index.entities) == len({(e.id, e.proposed) for es in concepts.values() for e in es})


def test_related_hub_step_scores_each_pair_as_the_chunked_pairs_would() -> None:
    papers, concepts = _example_corpus()
    cfg = replace(RelatedConfig(), exact_below=0, chunk=32)
    index = RelatedIndex.fit(papers, concepts, config=cfg, embeddings=False)
    chunks = list(index._scored_pairs())
    step = min(cfg.chunk, 256)
    assert len(chunks) == math.ceil(len(papers) / step)
    mutual = 0
    for start, (q, d, comps) in zip(range(0, len(papers), step), chunks):
        rows = np.arange(start, min(len(papers), start + step))
        q0, d0 = index._candidates(rows)
        assert np.array_equal(q, q0) and np.array_equal(d, d0)
        expected = index._pair_parts(q0, d0, index._c)
        assert set(comps) == set(expected)
        for name, values in expected.items():
            assert np.array_equal(comps[name], values), name  # bit for bit
        mutual += int(np.isin(d0 * len(papers) + q0, q0 * len(papers) + d0).sum())
    assert mutual > 0  # some pairs were scored once for both of their papers




@given(st.lists(st.tuples(st.lists(st.sampled_from("abc de policy robots models".split()),
                                    max_size=6),
                          st.lists(st.sampled_from("a b policy robot model de".split()),
                                   max_size=12)), max_size=6),
       st.integers(min_value=0, max_value=3))
@settings(max_examples=150, deadline=None)
def test_related_count_grams_matches_counting_each_paper(papers, title_weight):
    # what _count_grams must equal: a Counter per paper, title grams title_weight times
    words: dict[str, int] = {}
    ids, lengths, expected, vocab = [], [], [], {}
    for title, abstract in papers:
        counts: Counter[str] = Counter()
        for text, weight in ((title, title_weight), (abstract, 1)):
            grams = [*text, *map(" ".join, zip(text, text[1:]))]
            counts.update(grams * weight)
            ids.extend(words.setdefault(w, len(words)) for w in text)
            lengths.append(len(text))
        for term in counts:
            vocab.setdefault(term, len(vocab))
        expected.append(dict(counts))
    got_vocab, indices, got_counts, got_lengths = _count_grams(
        list(words), np.array(ids, dtype=np.int64), np.array(lengths, dtype=np.int64),
        title_weight)
    assert got_vocab == list(vocab)
    assert got_lengths.tolist() == [len(c) for c in expected]
    at = 0
    for paper, n in zip(expected, got_lengths.tolist()):
        got = {got_vocab[t]: int(c) for t, c in zip(indices[at:at + n], got_counts[at:at + n])}
        assert got == paper
        at += n


def test_related_shared_terms_of_one_query_match_the_compiled_loop() -> None:
    # `kg related` lists a stored paper's terms with numpy, the edges with the compiled loop
    papers, concepts = _random_corpus(80, seed=3)
    # exact_below=0: the large-corpus path, where the pairs' terms come from the compiled loop
    index = RelatedIndex.fit(papers, concepts, config=RelatedConfig(exact_below=0, pool=15),
                             embeddings=False, resources=())
    assert index._pruned()
    rng = np.random.default_rng(0)
    compared = 0
    for r in rng.choice(len(papers), 20, replace=False).tolist():
        js = rng.choice(len(papers), 15, replace=False)
        single = index._shared_terms(_row_of(index._x, r), js.tolist())
        many = index._shared_terms_many(np.full(len(js), r), js)
        assert single == many
        compared += sum(1 for t in many if t)
    assert compared > 100


def test_related_small_corpus_queries_never_start_numba() -> None:
    # numba's import and its compiled loops' load cost about 1 s a process: a corpus below the
    # large-corpus path is fitted, linked and queried with numpy and scipy only
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kg.models import Paper\n"
        "from kg.related import RelatedIndex\n"
        "papers = [Paper(id=f'p{i}', title=f'policy optimization method {i % 3}',\n"
        "                abstract='we study proximal policy optimization for robots')\n"
        "          for i in range(12)]\n"
        "index = RelatedIndex.fit(papers, {}, embeddings=False)\n"
        "hits = index.neighbours('p0', k=5)\n"
        "assert hits and hits[0].shared_terms, hits\n"
        "assert dict(index.all_neighbours(k=5))['p0'] == hits\n"
        "assert len(list(index.neighbour_links(k=5))) == 12\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
