"""Tests of kg.related_eval: metric functions against hand-computed values, judgments parsing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.models import Paper
from kg.related_eval import (
    Judgment,
    SystemScores,
    combine_scores,
    evaluate_related,
    ndcg_at_k,
    paired_difference,
    precision_at_k,
    read_judgments,
    reciprocal_rank,
    score_rankings,
)


def test_related_eval_ndcg_hand_computed() -> None:
    # ranked grades [1, 2, 0]; all judged [2, 1, 0, 0]; gain 2^g - 1, log2(i + 2) discount
    dcg = 1 / math.log2(2) + 3 / math.log2(3)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k([1, 2, 0], [2, 1, 0, 0], k=10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k([2, 1], [2, 1, 0], k=10) == pytest.approx(1.0)
    assert ndcg_at_k([0, 0], [0, 0], k=10) == 0.0
    # the cut-off applies to both the ranking and the ideal
    assert ndcg_at_k([0, 2], [2, 2], k=1) == 0.0


def test_related_eval_precision_and_reciprocal_rank() -> None:
    assert precision_at_k([2, 0, 1, 0, 1, 2], k=5) == pytest.approx(3 / 5)
    assert precision_at_k([1], k=5) == pytest.approx(1 / 5)  # missing ranks count as misses
    assert reciprocal_rank([1, 0, 2, 2]) == pytest.approx(1 / 3)
    assert reciprocal_rank([1, 1]) == 0.0


def test_related_eval_score_rankings_judged_only_and_unjudged_share() -> None:
    judgments = [Judgment(0, 1, 2), Judgment(0, 2, 0), Judgment(0, 3, 1)]
    # ranking puts unjudged paper 9 first: removed before nDCG, counted in unjudged@k
    scores = score_rankings(lambda q: [9, 0, 3, 1, 2], judgments, k=10)
    per = scores.per_query[0]
    assert per["ndcg"] == pytest.approx(ndcg_at_k([1, 2, 0], [2, 0, 1]))
    assert per["unjudged"] == pytest.approx(1 / 10)
    assert per["mrr"] == pytest.approx(1 / 2)
    assert scores.mrr == pytest.approx(1 / 2)
    assert per["p5"] == pytest.approx(2 / 5)


def test_related_eval_combine_scores_equals_scoring_the_union_of_the_queries() -> None:
    first = [Judgment(0, 1, 2), Judgment(0, 2, 0), Judgment(0, 3, 1)]
    second = [Judgment(5, 6, 1), Judgment(5, 7, 0)]  # no grade 2: no reciprocal rank
    rank = lambda q: [9, 3, 1, 2] if q == 0 else [7, 6]  # noqa: E731
    combined = combine_scores(score_rankings(rank, first), score_rankings(rank, second))
    assert combined == score_rankings(rank, first + second)
    assert combined.mrr == pytest.approx(1 / 2)  # only the query with a grade-2 paper


def _scores(per_query: dict[int, dict[str, float]]) -> SystemScores:
    return SystemScores(ndcg=0.0, p5=0.0, mrr=0.0, unjudged=0.0, per_query=per_query)


def test_related_eval_paired_difference_counts_and_interval() -> None:
    base = _scores({1: {"ndcg": 0.5, "mrr": 1.0}, 2: {"ndcg": 0.5}, 3: {"ndcg": 0.5, "mrr": 0.5},
                    4: {"ndcg": 0.5}})
    system = _scores({1: {"ndcg": 0.7, "mrr": 0.5}, 2: {"ndcg": 0.4}, 3: {"ndcg": 0.5, "mrr": 0.5},
                      4: {"ndcg": 0.6}})
    diff = paired_difference(base, system)
    assert diff.queries == 4
    assert diff.mean == pytest.approx((0.2 - 0.1 + 0.0 + 0.1) / 4)
    assert (diff.wins, diff.losses, diff.ties) == (2, 1, 1)
    # the interval of a mean of resampled deltas lies within the smallest and largest delta
    assert -0.1 - 1e-9 <= diff.low <= diff.mean <= diff.high <= 0.2 + 1e-9
    assert diff.low < diff.high
    assert paired_difference(base, system) == diff  # seeded: the same numbers every run
    # MRR only where both have it (queries 1 and 3)
    mrr = paired_difference(base, system, metric="mrr")
    assert (mrr.queries, mrr.mean, mrr.losses, mrr.ties) == (2, pytest.approx(-0.25), 1, 1)


def test_related_eval_paired_difference_of_equal_rankings_is_zero() -> None:
    base = _scores({q: {"ndcg": 0.1 * q} for q in range(5)})
    diff = paired_difference(base, base)
    assert (diff.mean, diff.low, diff.high, diff.ties) == (0.0, 0.0, 0.0, 5)
    with pytest.raises(InputError, match="no query"):
        paired_difference(base, _scores({}))


def _corpus() -> list[Paper]:
    return [
        Paper(id="paper:a", title="Proximal policy optimization for robots",
              abstract="We fine-tune robot policies with PPO."),
        Paper(id="paper:b", title="Trust region policy optimization",
              abstract="Policy optimization with trust regions for robots."),
        Paper(id="paper:c", title="Protein folding", abstract="Enzyme structures."),
        Paper(id="paper:d", title="Robot policies from demonstrations",
              abstract="Imitation for robot manipulation."),
    ]


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_related_eval_read_judgments_positions_and_titles(tmp_path: Path) -> None:
    papers = _corpus()
    path = _write(tmp_path / "j.jsonl", [
        {"query_id": "hf-policy-000", "candidate_id": "hf-policy-001", "grade": 2,
         "query_title": papers[0].title, "candidate_title": papers[1].title},
        {"query_id": "paper:a", "candidate_id": "c", "grade": 0},
    ])
    assert read_judgments(path, papers) == [Judgment(0, 1, 2), Judgment(0, 2, 0)]
    bad = _write(tmp_path / "bad.jsonl", [
        {"query_id": "hf-policy-000", "candidate_id": "hf-policy-001", "grade": 1,
         "candidate_title": "Another paper"}])
    with pytest.raises(InputError, match=r"bad\.jsonl:1: .*wrong corpus or order"):
        read_judgments(bad, papers)
    missing = _write(tmp_path / "missing.jsonl", [
        {"query_id": "hf-policy-000", "candidate_id": "hf-policy-099", "grade": 1}])
    with pytest.raises(InputError, match=r'missing\.jsonl:1: paper "hf-policy-099" is not in'):
        read_judgments(missing, papers)
    grade = _write(tmp_path / "grade.jsonl", [
        {"query_id": "hf-policy-000", "candidate_id": "hf-policy-001", "grade": 3}])
    with pytest.raises(InputError, match=r"grade\.jsonl:1: grade must be 0, 1 or 2"):
        read_judgments(grade, papers)


def test_related_eval_evaluate_related_reports_kg_and_tfidf(tmp_path: Path) -> None:
    papers = _corpus()
    path = _write(tmp_path / "j.jsonl", [
        {"query_id": "hf-policy-000", "candidate_id": "hf-policy-001", "grade": 2},
        {"query_id": "hf-policy-000", "candidate_id": "hf-policy-003", "grade": 1},
        {"query_id": "hf-policy-000", "candidate_id": "hf-policy-002", "grade": 0},
    ])
    report = evaluate_related(papers, {}, path, embeddings=False)
    assert set(report.systems) == {"kg", "tfidf"}
    assert report.queries == 1 and report.pairs == 3
    for system in report.systems.values():
        assert 0.0 <= system.ndcg <= 1.0
    kg = report.systems["kg"]
    assert kg.mrr == pytest.approx(1.0)  # paper b shares "policy optimization"
    assert report.to_dict()["systems"]["kg"]["ndcg@k"] == round(kg.ndcg, 4)
    assert [row[0] for row in report.table_rows()] == ["kg", "tfidf"]
