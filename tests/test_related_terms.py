"""Tests of kg.related's term counting: the cached, piece-by-piece analysis of a chunk of papers
(_chunk_terms) against analyze() run on each whole text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg import related
from kg.related import _chunk_terms, analyze

# Pieces that exercise every step of analyze(): URLs (stripped only when the text passes the
# cheap test), acronyms with hyphens, apostrophes, plurals and word-character neighbours, the
# two characters whose lower case is ASCII (U+0130, U+212A), stop words and plurals.
_PIECES = [
    "PPO", "(PPO)", "PPOs", "PPO's", "ppo", "-PPO", "x-PPO", "\u00e9-PPO", "_PPO", "PPO-based",
    "GPT-4's", "LLMs,", "(LLMs).", "DP", "'DP'", "DPs", "MoE", "MoEs", "RL", "RLHF", "RL-",
    "policies", "Policies", "the", "of", "a", "models", "dynamics", "https://github.com/a/PPO",
    "www.x.org/DP", "site.io", "foo.com.", "a.b.be", "x.ai/RL", "HTTPS://Y.COM", "/", ".", "-",
    "'", "\u0130", "\u0130PO", "\u212a", "\u212aL", "\u03a3", "Caf\u00e9", "_", "x_y", "2024",
    "\x00",  # the piece _chunk_terms puts between texts
]
_SEPARATORS = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u2028", "\x1c", "", "-", "'", "/",
               "."]
_DEFS = {"DP": "Diffusion Policy", "PPO": "proximal policy optimization", "RL": "",
         "LLM": "Large Language Models", "MoE": "Mixture-of-Experts"}
_CORPORA = [{"DP": "dynamic programming", "RL": "reinforcement learning",
             "MoE": "mixture of experts"}, {}, {"PPO": "policy optimization"}]

texts_st = st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_SEPARATORS)),
                    max_size=14).map(lambda parts: "".join(p + s for p, s in parts))
papers_st = st.lists(
    st.tuples(texts_st, texts_st,
              st.dictionaries(st.sampled_from(sorted(_DEFS)), st.sampled_from(
                  ["Diffusion Policy", "proximal policy optimization", "", "large models"]),
                  max_size=3)),
    max_size=6)


def _expected(papers: Sequence[tuple[str, str, Mapping[str, str]]], corpus: Mapping[str, str],
              title_weight: int) -> tuple[list[str], list[dict[str, int]]]:
    """Counter of each paper's grams from analyze() of its whole texts; the vocabulary in order
    of first appearance."""
    vocab: dict[str, int] = {}
    per_paper = []
    for title, abstract, defs in papers:
        counts: Counter[str] = Counter()
        for text, weight in ((title, title_weight), (abstract, 1)):
            words = analyze(text, defs, corpus)
            counts.update([*words, *map(" ".join, zip(words, words[1:]))] * weight)
        for term in counts:
            vocab.setdefault(term, len(vocab))
        per_paper.append(dict(counts))
    return list(vocab), per_paper


def _check(papers: Sequence[tuple[str, str, Mapping[str, str]]], corpus: Mapping[str, str],
           title_weight: int) -> None:
    vocab, per_paper = _expected(papers, corpus, title_weight)
    got_vocab, indices, counts, lengths = _chunk_terms(papers, corpus, title_weight)
    assert got_vocab == vocab
    assert lengths.tolist() == [len(c) for c in per_paper]
    at = 0
    for expected, n in zip(per_paper, lengths.tolist()):
        ids = indices[at:at + n]
        assert np.all(np.diff(ids) > 0)  # each paper's terms in vocabulary order
        assert {got_vocab[t]: int(c) for t, c in zip(ids, counts[at:at + n])} == expected
        at += n
    assert at == len(indices) == len(counts)


@given(papers_st, st.sampled_from(range(len(_CORPORA))), st.integers(min_value=0, max_value=3))
@settings(max_examples=300, deadline=None)
def test_related_chunk_terms_equal_analyzing_whole_texts(papers, corpus, title_weight):
    # the process's table of pieces carries over from example to example, and is rebuilt when
    # the corpus acronyms change
    _check(papers, _CORPORA[corpus], title_weight)


@pytest.mark.parametrize("text", [
    "We train PPO (PPO) agents; code: https://github.com/a/PPO and www.x.org.",
    "DP-based DPs beat \u00e9-DP and x-DP, not _DP or 'DP'.",
    "\u0130PO and \u212aL are lower-cased to ASCII letters.",
    "",
    "   ",
    "a \x00 text holding the piece that keeps texts apart",
])
def test_related_chunk_terms_cases(text: str) -> None:
    corpus = _CORPORA[0]
    papers = [(text, text, {}), ("DP", text, {"DP": "Diffusion Policy"}), (text, "", _DEFS)]
    _check(papers, corpus, 3)
    _check(papers[::-1], corpus, 1)


def test_related_chunk_terms_table_is_rebuilt_past_its_limit(monkeypatch) -> None:
    papers = [("PPO for robots", "Policies of robots (PPO) https://x.io/PPO", {}),
              ("DP", "DP DPs", {"DP": "Diffusion Policy"})]
    corpus = _CORPORA[0]
    _check(papers, corpus, 2)
    table = related._word_table(corpus)
    assert related._word_table(dict(corpus)) is table  # same acronyms: kept
    monkeypatch.setattr(related, "_TABLE_LIMIT", 1)
    _check(papers, corpus, 2)
    assert related._word_table(corpus) is not table


@pytest.mark.parametrize("high", [2**4, 2**20, 2**40])
def test_related_sorted_pairs_equal_sorting_tuples(high: int) -> None:
    # small values sort packed in int32, larger in int64, the largest (2**40 x 2**40 does not
    # fit in 63 bits) by lexsort
    rng = np.random.default_rng(high)
    major = rng.integers(0, high, size=500, dtype=np.int64)
    minor = rng.integers(0, high, size=500, dtype=np.int64)
    major[:50] = major[50:100]  # equal majors, so that the minors decide
    got_major, got_minor = related._sorted_pairs(major, minor)
    assert list(zip(got_major.tolist(), got_minor.tolist())) == sorted(
        zip(major.tolist(), minor.tolist()))


def test_related_count_grams_of_a_few_ids_of_a_large_table() -> None:
    # the chunk's words are renumbered densely; the vocabulary still names the table's words
    words = [f"w{i}" for i in range(1000)]
    ids = np.array([999, 3, 999, 3, 500, 3, 999], dtype=np.int64)
    vocab, indices, counts, lengths = related._count_grams(
        words, ids, np.array([2, 3, 0, 2], dtype=np.int64), 2)
    # paper 0: title "w999 w3" (x2), abstract "w999 w3 w500"; paper 1: abstract "w3 w999"
    assert vocab == ["w999", "w3", "w999 w3", "w500", "w3 w500", "w3 w999"]
    assert lengths.tolist() == [5, 3]
    assert indices.tolist() == [0, 1, 2, 3, 4, 0, 1, 5]
    assert counts.tolist() == [3, 3, 3, 1, 1, 1, 1, 1]
