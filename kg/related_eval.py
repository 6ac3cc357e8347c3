"""Evaluate related-paper rankings against graded judgments (``kg eval-related``).

Judgments are JSON lines ``{"query_id", "candidate_id", "grade", ...}`` with grades 0 (unrelated),
1 (somewhat) and 2 (highly related). Ids ``hf-policy-NNN`` are 0-based positions in the corpus
(the example corpus ``examples/hf-papers-policy.txt``); other ids must equal paper ids. When a
judgment carries ``query_title`` / ``candidate_title`` they must match the paper at that position.

Metrics, per query, averaged over queries (the query paper is never in its own ranking):

* **nDCG@k** with gain ``2**grade - 1`` and log2 discount, over *judged* papers only (unjudged
  papers are removed from the ranking first: the candidates were pooled, so a paper nobody judged
  is not known to be irrelevant). The ideal ranking sorts all judged candidates of the query.
* **P@5**: share of the first five judged papers with grade >= 1.
* **MRR**: 1 / rank of the first grade-2 paper among the judged ones (0 when it is not ranked);
  averaged over queries that have a grade-2 judgment.
* **unjudged@k**: share of unjudged papers in the top k before removal (reported for the
  systems, so a low nDCG caused by holes in the pool can be spotted).

Baselines in the same run: TF-IDF cosine over title + abstract (scikit-learn, sublinear tf,
1–2-grams, English stop words) and, when ``kg[embed]`` is installed, all-MiniLM-L6-v2 cosine.
:func:`paired_difference` compares two rankings query by query (mean difference, bootstrap
interval, wins and losses): with a few dozen judged queries most changes of the mean are noise.

Example:
    >>> ndcg_at_k([2, 1, 0], [0, 1, 2], k=3)
    1.0
    >>> round(ndcg_at_k([0, 2], [2, 0], k=2), 4)
    0.6309
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kg.errors import InputError
from kg.models import Paper, PaperEntity

_POSITIONAL = re.compile(r"^hf-policy-(\d+)$")

Ranker = Callable[[int], list[int]]
"""Maps a query paper's position to candidate positions, best first (query excluded)."""


@dataclass(frozen=True)
class Judgment:
    """One graded pair of corpus positions."""

    query: int
    candidate: int
    grade: int


def _gain(grade: int) -> float:
    return float(2**grade - 1)


def ndcg_at_k(ranked_grades: Sequence[int], all_grades: Sequence[int], k: int = 10) -> float:
    """nDCG@k with gain 2**g - 1.

    Args:
        ranked_grades: Grades of the ranked (judged) papers, best first.
        all_grades: Grades of every judged candidate of the query (for the ideal ranking).
        k: Cut-off.

    Returns:
        A value in [0, 1]; 0 when no candidate is relevant.
    """
    dcg = sum(_gain(g) / math.log2(i + 2) for i, g in enumerate(ranked_grades[:k]))
    ideal = sorted(all_grades, reverse=True)[:k]
    idcg = sum(_gain(g) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def precision_at_k(ranked_grades: Sequence[int], k: int = 5, min_grade: int = 1) -> float:
    """Share of the first ``k`` ranked papers with grade >= ``min_grade`` (missing count as 0)."""
    return sum(1 for g in ranked_grades[:k] if g >= min_grade) / k


def reciprocal_rank(ranked_grades: Sequence[int], grade: int = 2) -> float:
    """1 / rank of the first paper with ``grade`` or more; 0 when there is none."""
    for i, g in enumerate(ranked_grades):
        if g >= grade:
            return 1.0 / (i + 1)
    return 0.0


def read_judgments(path: Path | str, papers: Sequence[Paper]) -> list[Judgment]:
    """Read a judgments file and map its ids to corpus positions.

    Args:
        path: JSONL judgments.
        papers: The corpus in file order.

    Returns:
        The judgments.

    Raises:
        InputError: A line is not valid, or an id or title does not match the corpus.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: judgments file not found — check the --judgments path")
    by_id = {p.id: i for i, p in enumerate(papers)}
    out: list[Judgment] = []
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                grade = int(rec["grade"])
                ends = [(rec["query_id"], rec.get("query_title")),
                        (rec["candidate_id"], rec.get("candidate_title"))]
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"{path}:{lineno}: not a judgment ({exc}) — each line needs "
                                 'query_id, candidate_id and grade') from None
            if grade not in (0, 1, 2):
                raise InputError(f"{path}:{lineno}: grade must be 0, 1 or 2 (got {grade})")
            positions = []
            for pid, title in ends:
                m = _POSITIONAL.match(str(pid))
                pos = int(m.group(1)) if m else by_id.get(str(pid), by_id.get(f"paper:{pid}"))
                if pos is None or not 0 <= pos < len(papers):
                    raise InputError(f'{path}:{lineno}: paper "{pid}" is not in the corpus — '
                                     "evaluate on the corpus the judgments were made for")
                if title is not None and _norm(title) != _norm(papers[pos].title):
                    raise InputError(f'{path}:{lineno}: "{pid}" is "{papers[pos].title[:60]}" in '
                                     f'the corpus, not "{title[:60]}" — wrong corpus or order')
                positions.append(pos)
            out.append(Judgment(positions[0], positions[1], grade))
    return out


def _norm(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.lower()))


@dataclass
class SystemScores:
    """Metrics of one ranking system (averages and per-query values)."""

    ndcg: float
    p5: float
    mrr: float
    unjudged: float
    per_query: dict[int, dict[str, float]] = field(default_factory=dict)


@dataclass
class RelatedEvalReport:
    """Metrics of kg and the baselines on one set of judgments."""

    judgments: str
    queries: int
    pairs: int
    k: int
    systems: dict[str, SystemScores]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (for ``--json``)."""
        return {
            "judgments": self.judgments, "queries": self.queries, "pairs": self.pairs,
            "k": self.k, "gain": "2^grade-1", "judged_only": True, "notes": self.notes,
            "systems": {
                name: {"ndcg@k": round(s.ndcg, 4), "p@5": round(s.p5, 4), "mrr": round(s.mrr, 4),
                       "unjudged@k": round(s.unjudged, 4)}
                for name, s in self.systems.items()
            },
        }

    def table_rows(self) -> list[tuple[str, str, str, str, str]]:
        """(system, nDCG@k, P@5, MRR, unjudged@k) rows for printing."""
        return [(name, f"{s.ndcg:.3f}", f"{s.p5:.3f}", f"{s.mrr:.3f}", f"{s.unjudged:.2f}")
                for name, s in self.systems.items()]


def score_rankings(rank: Ranker, judgments: Sequence[Judgment], k: int = 10) -> SystemScores:
    """Metrics of one ranking function over judged queries.

    Args:
        rank: Query position -> candidate positions, best first (at least ``k`` judged ones
            should be reachable; the full ranking is best).
        judgments: Graded pairs.
        k: nDCG cut-off.

    Returns:
        The scores.
    """
    by_query: dict[int, dict[int, int]] = {}
    for j in judgments:
        by_query.setdefault(j.query, {})[j.candidate] = j.grade
    per: dict[int, dict[str, float]] = {}
    for q, grades in sorted(by_query.items()):
        ranking = [d for d in rank(q) if d != q]
        judged = [grades[d] for d in ranking if d in grades]
        per[q] = {
            "ndcg": ndcg_at_k(judged, list(grades.values()), k),
            "p5": precision_at_k(judged, 5),
            "unjudged": sum(1 for d in ranking[:k] if d not in grades) / k,
        }
        if any(g == 2 for g in grades.values()):
            per[q]["mrr"] = reciprocal_rank(judged, 2)
    return _summary(per)


def combine_scores(*scores: SystemScores) -> SystemScores:
    """One system's scores on several disjoint sets of queries (e.g. dev and held-out), as if
    they were one set: the per-query values of all, averaged again."""
    per: dict[int, dict[str, float]] = {}
    for s in scores:
        per.update(s.per_query)
    return _summary(per)


def _summary(per: dict[int, dict[str, float]]) -> SystemScores:
    mrrs = [v["mrr"] for v in per.values() if "mrr" in v]
    return SystemScores(
        ndcg=float(np.mean([v["ndcg"] for v in per.values()])) if per else 0.0,
        p5=float(np.mean([v["p5"] for v in per.values()])) if per else 0.0,
        mrr=float(np.mean(mrrs)) if mrrs else 0.0,
        unjudged=float(np.mean([v["unjudged"] for v in per.values()])) if per else 0.0,
        per_query=per,
    )


@dataclass(frozen=True)
class PairedDifference:
    """How a system differs from a baseline on one metric, query by query."""

    metric: str
    queries: int
    mean: float  # mean of (system - baseline) over the queries both systems scored
    low: float  # percentile-bootstrap interval of the mean, resampling queries
    high: float
    wins: int  # queries where the system scored higher
    losses: int
    ties: int


def paired_difference(baseline: SystemScores, system: SystemScores, metric: str = "ndcg",
                      resamples: int = 2000, level: float = 0.95,
                      seed: int = 0) -> PairedDifference:
    """Per-query difference of ``system`` minus ``baseline``, with a bootstrap interval.

    With 20-odd judged queries a change of the mean by 0.01 is often one query moving: the
    interval and the win/loss counts say whether a change is more than that.

    Args:
        baseline: Scores of the reference ranking.
        system: Scores of the ranking compared with it (on the same judgments).
        metric: ``"ndcg"``, ``"p5"`` or ``"mrr"`` (queries without a grade-2 paper have no MRR
            and are left out).
        resamples: Bootstrap resamples of the queries.
        level: Coverage of the interval.
        seed: Seed of the resampling (the result is deterministic).

    Returns:
        The mean difference, its interval and the win/loss/tie counts.

    Raises:
        InputError: No query has the metric in both systems.
    """
    queries = sorted(q for q, v in baseline.per_query.items()
                     if metric in v and metric in system.per_query.get(q, {}))
    if not queries:
        raise InputError(f'no query has "{metric}" in both systems — compare scores of the same '
                         "judgments (metric: ndcg, p5 or mrr)")
    delta = np.array([system.per_query[q][metric] - baseline.per_query[q][metric]
                      for q in queries])
    rng = np.random.default_rng(seed)
    means = delta[rng.integers(0, len(delta), size=(resamples, len(delta)))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    # differences below float noise are ties (the same ranking scored twice)
    tol = 1e-12
    return PairedDifference(
        metric=metric, queries=len(queries), mean=float(delta.mean()),
        low=float(np.percentile(means, tail)), high=float(np.percentile(means, 100.0 - tail)),
        wins=int((delta > tol).sum()), losses=int((delta < -tol).sum()),
        ties=int((np.abs(delta) <= tol).sum()),
    )


def _matrix_ranker(scores: np.ndarray) -> Ranker:
    def rank(q: int) -> list[int]:
        s = scores[q].astype(float).copy()
        s[q] = -np.inf
        return [int(i) for i in np.lexsort((np.arange(len(s)), -s))]
    return rank


def tfidf_scores(papers: Sequence[Paper]) -> np.ndarray:
    """Baseline: TF-IDF cosine of title + abstract (sublinear tf, 1–2-grams, English stop words)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), stop_words="english")
    x = vectorizer.fit_transform([f"{p.title} {p.abstract}" for p in papers])
    return (x @ x.T).toarray()


def embedding_scores(papers: Sequence[Paper]) -> np.ndarray | None:
    """Baseline: all-MiniLM-L6-v2 cosine of title + abstract, or None without ``kg[embed]``."""
    from kg.related import embedding_text, load_embedder

    encode = load_embedder()
    if encode is None:
        return None
    e = encode([embedding_text(p) for p in papers])
    return e @ e.T


def evaluate_related(
    papers: Sequence[Paper],
    concepts: Mapping[str, Sequence[PaperEntity]],
    judgments_path: Path | str,
    k: int = 10,
    *,
    embeddings: bool | None = None,
    index: object | None = None,
    abbreviations: Mapping[str, Mapping[str, str]] | None = None,
) -> RelatedEvalReport:
    """Rank every judged query with kg's scorer and the baselines; compute the metrics.

    Args:
        papers: The corpus in file order (positions give ``hf-policy-NNN`` ids).
        concepts: Paper id -> canonical entities (kg's extraction, or gold annotations).
        judgments_path: Graded judgments (JSONL).
        k: nDCG cut-off.
        embeddings: Use sentence embeddings in kg's scorer and as a baseline (None: when
            installed; False: never).
        index: A fitted :class:`kg.related.RelatedIndex` to evaluate instead of fitting one.
        abbreviations: Paper id -> the acronyms it defines, from kg's extractor (as the build
            fits the index; see :meth:`kg.related.RelatedIndex.fit`).

    Returns:
        The report: systems "kg", "tfidf" and, when available, "embeddings".

    Raises:
        InputError: Bad judgments file.
    """
    from kg.related import RelatedIndex

    judgments = read_judgments(judgments_path, papers)
    related = index if isinstance(index, RelatedIndex) else RelatedIndex.fit(
        papers, concepts, embeddings=embeddings, abbreviations=abbreviations)
    n = len(papers)
    position = {p.id: i for i, p in enumerate(papers)}

    def kg_rank(q: int) -> list[int]:
        return [position[pid] for pid, _ in related.ranking(papers[q].id, k=n)]

    systems = {"kg": score_rankings(kg_rank, judgments, k),
               "tfidf": score_rankings(_matrix_ranker(tfidf_scores(papers)), judgments, k)}
    notes = [f"kg components: {', '.join(_components(related))}"]
    if embeddings is not False:
        emb = embedding_scores(papers)
        if emb is not None:
            systems["embeddings"] = score_rankings(_matrix_ranker(emb), judgments, k)
        else:
            notes.append("embeddings baseline skipped: pip install 'kg[embed]'")
    return RelatedEvalReport(
        judgments=str(judgments_path), queries=len({j.query for j in judgments}),
        pairs=len(judgments), k=k, systems=systems, notes=notes,
    )


def _components(index: object) -> list[str]:
    names = ["lexical", "concepts"]
    if getattr(index, "_sem", None) is not None:
        names.append("semantic")
    if getattr(index, "embeddings", None) is not None:
        names.append("embedding")
    if getattr(index.config, "hub_alpha", 0):  # type: ignore[attr-defined]
        names.append("hub")
    feedback_on = getattr(index, "_feedback_on", None)
    if feedback_on is not None and feedback_on():
        names.append("feedback")
    return names
