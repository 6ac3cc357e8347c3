"""The compiled loops against plain numpy/scipy references on random sparse matrices."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from kg import kernels


def _matrix(rng: np.random.Generator, rows: int, cols: int, density: float,
            dtype: type = np.float64) -> sp.csr_matrix:
    m = sp.random(rows, cols, density=density, format="csr", random_state=rng, dtype=dtype)
    m.data = (m.data + 0.01).astype(dtype)  # positive, as term and feature weights are
    keep = np.ones(rows)
    keep[3] = 0  # an empty row
    m = (sp.diags(keep) @ m).tocsr()
    m.eliminate_zeros()
    return m.astype(dtype)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernels_pair_dots_match_scipy_and_are_symmetric_to_the_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = _matrix(rng, 40, 300, 0.1)
    a = np.sort(rng.integers(0, 40, 500))  # grouped, as queries' pairs come
    b = rng.integers(0, 40, 500)
    want = np.asarray(m[a].multiply(m[b]).sum(axis=1)).ravel()
    got = kernels.pair_dots(m, m, a, b)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert (kernels.pair_dots(m, m, b, a) == got).all()  # either row written to the scratch
    shuffled = rng.permutation(len(a))  # and whatever pairs come before or after
    assert (kernels.pair_dots(m, m, a[shuffled], b[shuffled]) == got[shuffled]).all()
    other = m.copy()  # two matrices: the loop never swaps their rows
    np.testing.assert_allclose(kernels.pair_dots(m, other * 2.0, a, b), 2 * want, rtol=1e-12)


def test_kernels_pair_dots_accept_unsorted_rows_and_no_pairs() -> None:
    m = sp.csr_matrix((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 1]), np.array([0, 2, 3])),
                      shape=(2, 3))
    m.has_sorted_indices = False
    assert kernels.pair_dots(m, m, np.array([0, 0]), np.array([0, 1])).tolist() == [5.0, 0.0]
    assert kernels.pair_dots(m, m, np.array([], dtype=int), np.array([], dtype=int)).shape == (0,)


def _shared_terms_reference(q: np.ndarray, d: np.ndarray, boost: np.ndarray,
                            first: np.ndarray, second: np.ndarray, limit: int,
                            n: int) -> list[int]:
    shared = [(-(q[t] * d[t] * boost[t]), t) for t in np.flatnonzero((q != 0) & (d != 0))]
    ranked = [t for _, t in sorted(shared)][:limit]  # strongest first, ties: lower term
    out: list[int] = []
    for i, t in enumerate(ranked):
        if first[t] < 0 and any(first[u] >= 0 and t in (first[u], second[u])
                                for u in ranked[:i]):
            continue
        out.append(int(t))
    return out[:n]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kernels_shared_terms_match_a_plain_ranking(seed: int) -> None:
    rng = np.random.default_rng(seed)
    words, bigrams = 30, 20
    first = np.concatenate([np.full(words, -1), rng.integers(0, words, bigrams)])
    second = np.concatenate([np.full(words, -1), rng.integers(0, words, bigrams)])
    boost = np.where(first >= 0, 2.0, 1.0)
    m = _matrix(rng, 25, words + bigrams, 0.4)
    m.data = np.round(m.data * 4) / 4 + 0.25  # few distinct values: ties happen
    dense = m.toarray()
    q = np.sort(rng.integers(0, 25, 300))
    d = rng.integers(0, 25, 300)
    got = kernels.shared_terms(m, q, m, d, boost, first, second, limit=6, n=3)
    assert got.shape == (300, 3)
    for i in range(300):
        want = _shared_terms_reference(dense[q[i]], dense[d[i]], boost, first, second, 6, 3)
        assert [t for t in got[i].tolist() if t >= 0] == want
        assert (got[i, len(want):] == -1).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_top_products_keep_the_largest_with_ties_to_the_lower_column(dtype: type) -> None:
    rng = np.random.default_rng(7)
    features = _matrix(rng, 12, 50, 0.2, dtype)
    postings = _matrix(rng, 50, 60, 0.15, dtype)
    features.data = np.round(features.data * 2).astype(dtype) + 1  # ties in the products
    postings.data = np.round(postings.data * 2).astype(dtype) + 1
    rows = np.arange(20, 32)
    product = (features @ postings).toarray()
    q, d = kernels.top_products(features, postings, rows, keep=5)
    assert (np.diff(q) >= 0).all()
    for i, r in enumerate(rows.tolist()):
        cols = [c for c in np.flatnonzero(product[i]) if c != r]
        want = sorted(sorted(cols, key=lambda c: (-product[i, c], c))[:5])
        assert d[q == r].tolist() == want
    # a row with fewer columns than `keep` is kept whole
    q, d = kernels.top_products(features, postings, rows, keep=60)
    for i, r in enumerate(rows.tolist()):
        assert d[q == r].tolist() == [c for c in np.flatnonzero(product[i]) if c != r]


def _shared_concepts_reference(q_feats: dict[int, int], ents: list[int], ef: sp.csr_matrix,
                               w_idf: np.ndarray, own: np.ndarray, is_same: np.ndarray,
                               is_word: np.ndarray, id_rank: np.ndarray) -> list[tuple[int, int]]:
    best: dict[int, tuple[float, int, int]] = {}  # concept rank -> (strength, entity, via)
    for ent in ents:
        found = None
        for i in range(ef.indptr[ent], ef.indptr[ent + 1]):
            qv = q_feats.get(int(ef.indices[i]))
            if qv is None:
                continue
            via = qv if is_same[own[i]] and not is_same[qv] else int(own[i])
            strength = w_idf[i] * (0.2 if is_word[via] else 1.0)
            if found is None or strength > found[0]:
                found = (strength, ent, via)
        rank = int(id_rank[ent])
        if found is not None and (rank not in best or found[0] > best[rank][0]):
            best[rank] = found
    ordered = sorted(best.items(), key=lambda rv: (-rv[1][0], rv[0]))
    return [(ent, via) for _, (_, ent, via) in ordered]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernels_shared_concepts_match_a_plain_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_papers, n_ents, n_feat, n_via = 30, 40, 25, 5
    pe = _matrix(rng, n_papers, n_ents, 0.15)
    ef = _matrix(rng, n_ents, n_feat, 0.2)
    w_idf = np.round(rng.random(ef.nnz) * 3) / 3 + 0.1  # few values: ties happen
    own = rng.integers(0, n_via, ef.nnz)
    is_same = np.array([True, True, False, False, False])
    is_word = np.array([False, False, False, True, True])
    id_rank = rng.integers(0, 25, n_ents)  # several entities per concept id
    queries = [dict(zip(rng.choice(n_feat, 8, replace=False).tolist(),
                        rng.integers(0, n_via, 8).tolist())) for _ in range(6)]
    q_ptr = np.cumsum([0] + [len(q) for q in queries])
    q_feat = np.array([f for q in queries for f in sorted(q)])
    q_via = np.array([q[f] for q in queries for f in sorted(q)])
    q_of_pair = np.sort(rng.integers(0, len(queries), 200))
    js = rng.integers(0, n_papers, 200)
    ptr, ents, vias = kernels.shared_concepts(q_of_pair, js, q_ptr, q_feat, q_via, pe, ef,
                                              w_idf, own, is_same, is_word, id_rank)
    listed = 0
    for i in range(200):
        row = pe.indices[pe.indptr[js[i]]:pe.indptr[js[i] + 1]].tolist()
        want = _shared_concepts_reference(queries[q_of_pair[i]], row, ef, w_idf, own,
                                          is_same, is_word, id_rank)
        got = list(zip(ents[ptr[i]:ptr[i + 1]].tolist(), vias[ptr[i]:ptr[i + 1]].tolist()))
        assert got == want
        listed += len(got)
    assert listed > 50  # the pairs do share concepts


def test_kernels_work_where_numba_cannot_cache() -> None:
    # source without a file (as in a read-only install without a writable home): numba has no
    # cache directory for it and refuses cache=True; the loops still compile and agree
    import types
    from pathlib import Path

    source = Path(kernels.__file__).read_text(encoding="utf-8")
    module = types.ModuleType("kg_kernels_uncached")
    exec(compile(source, "<kernels without a file>", "exec"), module.__dict__)
    m = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 4.0]]))
    rows = np.array([0, 1, 1])
    assert module.pair_dots(m, m, rows, rows[::-1]).tolist() == \
        kernels.pair_dots(m, m, rows, rows[::-1]).tolist()
