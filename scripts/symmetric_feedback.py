"""How the symmetric feedback's weight was chosen (issue #6, session 8): nDCG@10 per gamma.

kg's feedback step adds beta x the mean raw score of a candidate to the query's 3 best papers;
the symmetric part adds gamma x the mean raw score of the query to the candidate's own 3 best
papers (the query itself left out; ``RelatedConfig.feedback_gamma``, 0.5 in kg: the best of
0.1, 0.2, ..., 1.0 on dev + the 32 extra grades of session 5; with all 44 extra grades of
tests/data/related-dev-extra.jsonl, which this script reads, dev + extra is flat in gamma). This script re-implements the scorer densely
on the example corpus (at gamma = 0 it gives the figures kg had without the symmetric part: dev
0.734, held-out 0.880, dev + extra 0.724; at 0.5 it gives kg's) and prints nDCG@10 with the
paired per-query difference from gamma = 0 on the development, held-out and dev + extra
judgments and on dev and held-out together ("all").

Run (a few seconds):
    python scripts/symmetric_feedback.py --gamma 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg import pipeline  # noqa: E402
from kg.readers import read_papers  # noqa: E402
from kg.related import RelatedIndex  # noqa: E402
from kg.related_eval import (  # noqa: E402
    SystemScores,
    combine_scores,
    paired_difference,
    read_judgments,
    score_rankings,
)

DATA = ROOT / "tests" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gamma", type=float, nargs="+", default=[0.2, 0.3, 0.5])
    args = ap.parse_args()
    papers = read_papers([ROOT / "examples" / "hf-papers-policy.txt"]).papers
    concepts, acronyms = pipeline.related_inputs(papers)
    idx = RelatedIndex.fit(papers, concepts, embeddings=False, abbreviations=acronyms)
    cfg = idx.config
    lex = (idx._x @ idx._x.T).toarray() * cfg.w_lexical
    con = (idx._c @ idx._c.T).toarray() * cfg.w_concepts
    raw = lex + con + (idx._sem @ idx._sem.T) * cfg.w_semantic
    first = raw - cfg.hub_alpha * idx.hub[None, :]
    np.fill_diagonal(first, -np.inf)
    first[(lex + con) <= 0] = -np.inf  # no shared term or concept: not related
    top = np.argsort(-first, axis=1, kind="stable")
    m, depth, beta = cfg.feedback_m, cfg.feedback_depth, cfg.feedback_beta

    def ranker(gamma: float):  # type: ignore[no-untyped-def]
        def rank(q: int) -> list[int]:
            order = [j for j in top[q] if np.isfinite(first[q, j])]
            best = order[:m]
            final = {j: first[q, j] for j in order}
            for j in order[:depth]:
                votes = [raw[p, j] for p in best if p != j]
                gain = beta * max(float(np.mean(votes)), 0.0) if votes else 0.0
                own = [p for p in top[j][:m + 1] if p != q and np.isfinite(first[j, p])][:m]
                if gamma and own:
                    gain += gamma * max(float(np.mean([raw[q, p] for p in own])), 0.0)
                final[j] += gain
            return sorted(final, key=lambda j: (-final[j], j))
        return rank

    sets = {name: read_judgments(DATA / f"related-{name}.jsonl", papers)
            for name in ("dev", "heldout")}
    sets["dev+extra"] = sets["dev"] + read_judgments(DATA / "related-dev-extra.jsonl", papers)

    def scores(gamma: float) -> dict[str, SystemScores]:
        out = {name: score_rankings(ranker(gamma), j) for name, j in sets.items()}
        out["all"] = combine_scores(out["dev"], out["heldout"])
        return out

    base = scores(0.0)
    print("gamma 0: " + "  ".join(f"{k} {v.ndcg:.4f}" for k, v in base.items()))
    for gamma in args.gamma:
        got = scores(gamma)
        print(f"gamma {gamma}:")
        for name, s in got.items():
            d = paired_difference(base[name], s)
            print(f"   {name:10s} {s.ndcg:.4f} d={d.mean:+.4f} [{d.low:+.4f},{d.high:+.4f}] "
                  f"{d.wins}W/{d.losses}L")


if __name__ == "__main__":
    main()
