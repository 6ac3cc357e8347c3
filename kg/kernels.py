"""Compiled loops (numba) for the related index's per-pair work on sparse rows.

On a large corpus the related index scores millions of (paper, paper) pairs one by one: the exact
components of every candidate pair, the feedback's pairs, and the shared terms and concepts shown
as reasons; and it finds each paper's candidates in bounded postings.
scipy can only do that by gathering both rows of every pair into new matrices and multiplying
them (``a[rows_a].multiply(b[rows_b])``), which copies each row and allocates per block. These
loops instead write one row's values into a dense scratch vector and read the other row against
it, so a pair costs one pass over one row (100k generated papers, 220 terms a row: 3.4 -> 1.2 us
a pair). They are compiled on first use and cached on disk next to this file (``cache=True``);
they are written as plain loops, without slices or library sorts, which numba compiles slowly.
Below the large-corpus path (:meth:`kg.related.RelatedIndex._pruned`) the index uses numpy and
scipy instead and never imports this module: numba's start costs about 1 s a process.

The pair-dot and shared-term loops add a pair's products in ascending column order, whichever
row is written to the scratch vector (a column the scratch row does not hold adds ``+0.0``, which changes no sum), so
a pair scores the same bits both ways round and on every path that asks for it.

Example:
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 4.0]]))
    >>> pair_dots(m, m, np.array([0, 1]), np.array([1, 1])).tolist()
    [8.0, 25.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numba import njit


def _jit(func: Callable[..., Any]) -> Any:
    """``njit``, cached on disk where numba finds a writable cache directory (next to this
    file, else its user-wide one); where it finds none (a read-only install and home), numba
    refuses ``cache=True`` at import, so the loop is compiled in each process instead."""
    try:
        return njit(cache=True, nogil=True)(func)
    except RuntimeError:
        return njit(nogil=True)(func)


@_jit
def _hold(ptr: np.ndarray, idx: np.ndarray, val: np.ndarray, held: int, row: int,
          dense: np.ndarray, empty: float | int) -> int:
    """Write ``row``'s values into the scratch vector ``dense`` in place of row ``held`` (-1:
    none), whose entries go back to ``empty``; returns ``row``."""
    if row != held:
        if held >= 0:
            for i in range(ptr[held], ptr[held + 1]):
                dense[idx[i]] = empty
        for i in range(ptr[row], ptr[row + 1]):
            dense[idx[i]] = val[i]
    return row


@_jit
def _next_has(rows_a: np.ndarray, rows_b: np.ndarray, k: int, row: int, other: int) -> bool:
    """Whether pair ``k`` (if any) holds ``row`` and not ``other``."""
    if k >= len(rows_a):
        return False
    a, b = rows_a[k], rows_b[k]
    return (a == row or b == row) and a != other and b != other


@_jit
def _pair_dots(a_ptr: np.ndarray, a_idx: np.ndarray, a_val: np.ndarray,
               b_ptr: np.ndarray, b_idx: np.ndarray, b_val: np.ndarray,
               rows_a: np.ndarray, rows_b: np.ndarray, width: int,
               same: bool) -> np.ndarray:
    out = np.empty(len(rows_a))
    dense = np.zeros(width)
    held = -1  # the row of ``a`` written to ``dense``
    for k in range(len(rows_a)):
        ra, rb = rows_a[k], rows_b[k]
        if same and ra != held and (rb == held or _next_has(rows_a, rows_b, k + 1, rb, ra)):
            # one matrix: write the row that this or the next pair reads again
            ra, rb = rb, ra
        held = _hold(a_ptr, a_idx, a_val, held, ra, dense, 0.0)
        s = 0.0
        for j in range(b_ptr[rb], b_ptr[rb + 1]):
            s += dense[b_idx[j]] * b_val[j]
        out[k] = s
    return out


@_jit
def _shared_terms(q_ptr: np.ndarray, q_idx: np.ndarray, q_val: np.ndarray,
                  d_ptr: np.ndarray, d_idx: np.ndarray, d_val: np.ndarray,
                  rows_q: np.ndarray, rows_d: np.ndarray, boost: np.ndarray,
                  first: np.ndarray, second: np.ndarray, width: int, limit: int,
                  n: int) -> np.ndarray:
    out = np.full((len(rows_q), n), -1, dtype=np.int64)
    dense = np.zeros(width)
    held = -1
    top_t = np.empty(limit, dtype=np.int64)
    top_c = np.empty(limit)
    for k in range(len(rows_q)):
        held = _hold(q_ptr, q_idx, q_val, held, rows_q[k], dense, 0.0)
        # the `limit` strongest shared terms, strongest first, ties by ascending term: the
        # candidate's terms come in ascending order and a tie never moves ahead
        m = 0
        for j in range(d_ptr[rows_d[k]], d_ptr[rows_d[k] + 1]):
            t = d_idx[j]
            v = dense[t]
            if v == 0.0:
                continue
            c = v * d_val[j] * boost[t]
            if m == limit and not c > top_c[limit - 1]:
                continue
            p = m if m < limit else limit - 1
            while p > 0 and top_c[p - 1] < c:
                top_t[p] = top_t[p - 1]
                top_c[p] = top_c[p - 1]
                p -= 1
            top_t[p] = t
            top_c[p] = c
            if m < limit:
                m += 1
        # the first n of them, a word skipped when a bigram ranked before it holds it
        got = 0
        for i in range(m):
            t = top_t[i]
            if first[t] < 0:
                covered = False
                for h in range(i):
                    u = top_t[h]
                    if first[u] >= 0 and (first[u] == t or second[u] == t):
                        covered = True
                        break
                if covered:
                    continue
            out[k, got] = t
            got += 1
            if got == n:
                break
    return out


@_jit
def _sift_down(heap: np.ndarray, size: int, p: int) -> None:
    while True:
        child = 2 * p + 1
        if child >= size:
            return
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if not heap[child] < heap[p]:
            return
        heap[child], heap[p] = heap[p], heap[child]
        p = child


@_jit
def _kth_largest(vals: np.ndarray, m: int, heap: np.ndarray) -> float:
    """The ``len(heap)``-th largest of ``vals[:m]`` (``m`` at least that): a min-heap of the
    largest so far, one pass (a row's ~4,000 candidates: about half of ``np.partition``)."""
    keep = len(heap)
    for j in range(keep):
        heap[j] = vals[j]
    for p in range(keep // 2 - 1, -1, -1):
        _sift_down(heap, keep, p)
    for j in range(keep, m):
        if vals[j] > heap[0]:
            heap[0] = vals[j]
            _sift_down(heap, keep, 0)
    return heap[0]


@_jit
def _insert_sorted(values: np.ndarray, lo: int, hi: int) -> None:
    """Sort ``values[lo:hi]`` ascending in place (insertion: a few dozen values)."""
    for i in range(lo + 1, hi):
        v = values[i]
        j = i
        while j > lo and values[j - 1] > v:
            values[j] = values[j - 1]
            j -= 1
        values[j] = v


@_jit
def _top_products(f_ptr: np.ndarray, f_idx: np.ndarray, f_val: np.ndarray,
                  p_ptr: np.ndarray, p_idx: np.ndarray, p_val: np.ndarray,
                  rows: np.ndarray, width: int, keep: int,
                  out_q: np.ndarray, out_d: np.ndarray) -> int:
    # plain loops, no slices or library sorts: numba compiles those slowly (seconds each)
    acc = np.zeros(width, dtype=p_val.dtype)
    seen = np.zeros(width, dtype=np.bool_)
    touched = np.empty(width, dtype=np.int64)
    vals = np.empty(width, dtype=p_val.dtype)
    heap = np.empty(keep, dtype=p_val.dtype)
    got = 0
    for i in range(len(rows)):
        # row i of features x postings, summed in the features' stored order (as scipy does)
        t = 0
        for a in range(f_ptr[i], f_ptr[i + 1]):
            v = f_val[a]
            for b in range(p_ptr[f_idx[a]], p_ptr[f_idx[a] + 1]):
                c = p_idx[b]
                if not seen[c]:
                    seen[c] = True
                    touched[t] = c
                    t += 1
                acc[c] += v * p_val[b]
        # the row's columns but the query's own, and the accumulator cleared for the next row
        m = 0
        for j in range(t):
            c = touched[j]
            if c != rows[i]:
                touched[m] = c
                vals[m] = acc[c]
                m += 1
            acc[c] = 0
            seen[c] = False
        start = got
        if m <= keep:
            for j in range(m):
                out_d[got] = touched[j]
                got += 1
        else:
            kth = _kth_largest(vals, m, heap)
            for j in range(m):
                if vals[j] > kth:
                    out_d[got] = touched[j]
                    got += 1
            # then the lowest columns among the ties, kept sorted in out_d's free tail
            need = keep - (got - start)
            n_ties = 0
            for j in range(m):
                if vals[j] == kth:
                    c = touched[j]
                    if n_ties == need and not c < out_d[got + need - 1]:
                        continue
                    at = got + min(n_ties, need - 1)
                    while at > got and out_d[at - 1] > c:
                        out_d[at] = out_d[at - 1]
                        at -= 1
                    out_d[at] = c
                    n_ties = min(n_ties + 1, need)
            got += need
        _insert_sorted(out_d, start, got)
        for j in range(start, got):
            out_q[j] = rows[i]
    return got


@_jit
def _before(tier: np.ndarray, key: np.ndarray, a: int, b: int) -> bool:
    return tier[a] < tier[b] or (tier[a] == tier[b] and key[a] < key[b])


@_jit
def _stable_order(tier: np.ndarray, key: np.ndarray, n: int, order: np.ndarray,
                  scratch: np.ndarray) -> None:
    """``order[:n]``: positions ``0..n-1`` by ``tier``, then ``key``, then position (a
    bottom-up merge sort, written out: numba compiles ``np.argsort`` slowly)."""
    for i in range(n):
        order[i] = i
    width, in_order = 1, True
    while width < n:
        src, dst = (order, scratch) if in_order else (scratch, order)
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j = lo, mid
            for k in range(lo, hi):
                # the right run's entry goes first only if strictly before: stable
                if j < hi and (i == mid or _before(tier, key, src[j], src[i])):
                    dst[k] = src[j]
                    j += 1
                else:
                    dst[k] = src[i]
                    i += 1
        in_order = not in_order
        width *= 2
    if not in_order:
        for i in range(n):
            order[i] = scratch[i]


@_jit
def _budget_mask(ptr: np.ndarray, idx: np.ndarray, val: np.ndarray, scale: np.ndarray,
                 cost: np.ndarray, tier: np.ndarray, budget: int, most: int) -> np.ndarray:
    keep = np.zeros(len(idx), dtype=np.bool_)
    widest = 0
    for r in range(len(ptr) - 1):
        widest = max(widest, ptr[r + 1] - ptr[r])
    order = np.empty(widest, dtype=np.int64)
    scratch = np.empty(widest, dtype=np.int64)
    strength = np.empty(widest)
    row_tier = np.empty(widest, dtype=np.int64)
    for r in range(len(ptr) - 1):
        lo, hi = ptr[r], ptr[r + 1]
        for i in range(hi - lo):
            strength[i] = -(val[lo + i] * scale[idx[lo + i]])
            row_tier[i] = tier[idx[lo + i]]
        # by tier, then strength (strongest first), then column (the stored order)
        _stable_order(row_tier, strength, hi - lo, order, scratch)
        spent = 0
        for rank in range(hi - lo):
            e = lo + order[rank]
            spent += cost[idx[e]]
            if rank == 0 or (spent <= budget and rank < most):
                keep[e] = True
    return keep


@_jit
def _shared_concepts(q_of_pair: np.ndarray, js: np.ndarray, q_ptr: np.ndarray,
                     q_feat: np.ndarray, q_via: np.ndarray, pe_ptr: np.ndarray,
                     pe_idx: np.ndarray, ef_ptr: np.ndarray, ef_idx: np.ndarray,
                     w_idf: np.ndarray, own: np.ndarray, is_same: np.ndarray,
                     is_word: np.ndarray, id_rank: np.ndarray, n_feat: int,
                     out_ptr: np.ndarray, out_ent: np.ndarray, out_via: np.ndarray) -> None:
    via_of = np.full(n_feat, -1, dtype=np.int64)  # the held query's via per feature
    held = -1
    widest = 0  # the most entities a candidate has
    for k in range(len(js)):
        widest = max(widest, pe_ptr[js[k] + 1] - pe_ptr[js[k]])
    b_rank = np.empty(widest, dtype=np.int64)
    b_str = np.empty(widest)
    b_via = np.empty(widest, dtype=np.int64)
    b_ent = np.empty(widest, dtype=np.int64)
    got = 0
    for k in range(len(js)):
        held = _hold(q_ptr, q_feat, q_via, held, q_of_pair[k], via_of, -1)
        m = 0
        d = js[k]
        for o in range(pe_ptr[d], pe_ptr[d + 1]):
            ent = pe_idx[o]
            # the entity's strongest shared feature (ties: the first in feature order)
            best, best_via = -np.inf, -1
            for i in range(ef_ptr[ent], ef_ptr[ent + 1]):
                qv = via_of[ef_idx[i]]
                if qv < 0:
                    continue
                via = qv if is_same[own[i]] and not is_same[qv] else own[i]
                strength = w_idf[i] * (0.2 if is_word[via] else 1.0)
                if strength > best:
                    best, best_via = strength, via
            if best_via < 0:
                continue
            # one entry per concept id: its strongest entity (ties: the first in the row)
            r = id_rank[ent]
            at = -1
            for j in range(m):
                if b_rank[j] == r:
                    at = j
                    break
            if at < 0:
                at = m
                m += 1
            elif not best > b_str[at]:
                continue
            b_rank[at], b_str[at], b_via[at], b_ent[at] = r, best, best_via, ent
        # strongest first, ties by concept id (insertion sort: a handful of entries)
        for i in range(1, m):
            j = i
            while j > 0 and (b_str[j - 1] < b_str[j]
                             or (b_str[j - 1] == b_str[j] and b_rank[j - 1] > b_rank[j])):
                b_rank[j - 1], b_rank[j] = b_rank[j], b_rank[j - 1]
                b_str[j - 1], b_str[j] = b_str[j], b_str[j - 1]
                b_via[j - 1], b_via[j] = b_via[j], b_via[j - 1]
                b_ent[j - 1], b_ent[j] = b_ent[j], b_ent[j - 1]
                j -= 1
        for j in range(m):
            out_ent[got] = b_ent[j]
            out_via[got] = b_via[j]
            got += 1
        out_ptr[k + 1] = got


def _canonical(matrix: sp.csr_matrix) -> sp.csr_matrix:
    if not matrix.has_canonical_format:  # sorted, no duplicates: what the loops assume
        matrix = matrix.copy()
        matrix.sum_duplicates()
    return matrix


def _rows(rows: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rows, dtype=np.int64)


def pair_dots(a: sp.csr_matrix, b: sp.csr_matrix, rows_a: np.ndarray,
              rows_b: np.ndarray) -> np.ndarray:
    """Row-wise dot products ``a[rows_a[i]] . b[rows_b[i]]`` (float64), without gathering rows.

    Fastest when pairs that share a row of ``a`` come together (e.g. grouped by query).
    """
    a, b = _canonical(a), _canonical(b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"column counts differ: {a.shape[1]} and {b.shape[1]}")
    if not len(rows_a):
        return np.zeros(0)
    return _pair_dots(a.indptr, a.indices, a.data.astype(np.float64, copy=False),
                      b.indptr, b.indices, b.data.astype(np.float64, copy=False),
                      _rows(rows_a), _rows(rows_b), a.shape[1], a is b)


def shared_terms(queries: sp.csr_matrix, rows_q: np.ndarray, docs: sp.csr_matrix,
                 rows_d: np.ndarray, boost: np.ndarray, first: np.ndarray,
                 second: np.ndarray, limit: int, n: int) -> np.ndarray:
    """Per pair ``(queries[rows_q[i]], docs[rows_d[i]])``, the columns (terms) that add most.

    A shared column contributes query value x doc value x ``boost[column]``. Of each pair's
    ``limit`` strongest (ties: the lower column), the first ``n`` are kept, skipping a word
    column ``w`` when a bigram column ranked before it has ``first`` or ``second`` equal to
    ``w`` (``first[t] = -1`` marks a word).

    Returns:
        ``(pairs, n)`` column ids, strongest first, padded with -1.
    """
    queries, docs = _canonical(queries), _canonical(docs)
    if not len(rows_q):
        return np.zeros((0, n), dtype=np.int64)
    return _shared_terms(queries.indptr, queries.indices,
                         queries.data.astype(np.float64, copy=False),
                         docs.indptr, docs.indices, docs.data.astype(np.float64, copy=False),
                         _rows(rows_q), _rows(rows_d), boost.astype(np.float64, copy=False),
                         _rows(first), _rows(second), queries.shape[1], max(1, limit), n)


def top_products(features: sp.csr_matrix, postings: sp.csr_matrix, rows: np.ndarray,
                 keep: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row ``i`` of ``features @ postings``, cut to its ``keep`` largest columns.

    Row ``i`` belongs to query ``rows[i]``, whose own column is left out; ties at the cut keep
    the lower column. The product is summed as scipy sums it (in ``features``' stored order,
    in ``postings``' dtype), in one pass with a dense accumulator instead of scipy's two, and
    no product matrix is built.

    Returns:
        ``(q, d)``: the query row and the column of every kept entry, by query, columns
        ascending.
    """
    features, postings = features.tocsr(), postings.tocsr()
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    if features.shape[1] != postings.shape[0]:
        raise ValueError(f"shapes do not chain: {features.shape} @ {postings.shape}")
    rows = _rows(rows)
    out_q = np.empty(len(rows) * keep, dtype=np.int64)
    out_d = np.empty(len(rows) * keep, dtype=np.int64)
    got = _top_products(features.indptr, features.indices,
                        features.data.astype(postings.dtype, copy=False), postings.indptr,
                        postings.indices, postings.data, rows, postings.shape[1], keep,
                        out_q, out_d)
    return out_q[:got], out_d[:got]


def budget_mask(matrix: sp.csr_matrix, scale: np.ndarray, cost: np.ndarray, budget: int,
                most: int, tier: np.ndarray | None = None) -> np.ndarray:
    """Which stored entries of each row to keep: the row's entries ranked by ``tier[column]``
    (lower first), then value x ``scale[column]`` (stronger first), then column; kept while the
    running sum of ``cost[column]`` stays within ``budget`` and fewer than ``most`` are kept,
    the first always. ``matrix`` must have sorted indices.

    Returns:
        A boolean mask over ``matrix.data``.
    """
    if not matrix.has_sorted_indices:
        raise ValueError("budget_mask needs sorted indices")
    if tier is None:
        tier = np.zeros(matrix.shape[1], dtype=np.int64)
    return _budget_mask(matrix.indptr, matrix.indices, matrix.data.astype(np.float64, copy=False),
                        scale.astype(np.float64, copy=False), cost.astype(np.int64, copy=False),
                        tier.astype(np.int64, copy=False), budget, most)


def shared_concepts(q_of_pair: np.ndarray, js: np.ndarray, q_ptr: np.ndarray,
                    q_feat: np.ndarray, q_via: np.ndarray, paper_entities: sp.csr_matrix,
                    entity_features: sp.csr_matrix, w_idf: np.ndarray, own: np.ndarray,
                    is_same: np.ndarray, is_word: np.ndarray,
                    id_rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The concepts each pair (query ``q_of_pair[i]``, candidate paper ``js[i]``) shares.

    A query's features and how it matches each (a via code) are ``q_feat`` / ``q_via`` from
    ``q_ptr[q]`` to ``q_ptr[q + 1]``. For every entity of the candidate (a row of
    ``paper_entities``), its strongest feature the query also has: strength ``w_idf`` (aligned
    with ``entity_features``' entries) x 0.2 when the via is a word match, the via the
    entity's own (``own``, aligned the same way) unless that is a same/alias match and the
    query's is not. Ties go to the first feature, then per concept id (``id_rank``) to the
    strongest entity (ties: the first in the row); a pair's concepts come strongest first,
    ties by ``id_rank``.

    Returns:
        ``(ptr, entities, vias)``: pair ``i``'s entities and vias from ``ptr[i]`` to
        ``ptr[i + 1]``.
    """
    pe, ef = paper_entities.tocsr(), entity_features.tocsr()
    js = _rows(js)
    most = int(np.diff(pe.indptr)[js].sum())  # at most one entry per entity of a candidate
    ptr = np.zeros(len(js) + 1, dtype=np.int64)
    ents = np.empty(most, dtype=np.int64)
    vias = np.empty(most, dtype=np.int64)
    _shared_concepts(_rows(q_of_pair), js, _rows(q_ptr), _rows(q_feat), _rows(q_via),
                     pe.indptr, pe.indices, ef.indptr, ef.indices,
                     w_idf.astype(np.float64, copy=False), _rows(own), is_same.astype(np.bool_),
                     is_word.astype(np.bool_), _rows(id_rank), ef.shape[1], ptr, ents, vias)
    return ptr, ents[:ptr[-1]], vias[:ptr[-1]]
