"""Print the README's query-helper examples: every named query run on the example corpus.

    kg build examples/hf-papers-policy.txt --store /tmp/example.db
    python scripts/readme_examples.py /tmp/example.db > /tmp/examples.md

Each block shows the `kg query` command and the first rows it printed, as a Markdown table.
"""

from __future__ import annotations

import sys

from kg.queries import run_query
from kg.store.sqlite import SQLiteStore

DPPO = "paper:diffusion-policy-policy-optimization"
EXAMPLES: list[tuple[str, dict[str, str]]] = [
    ("related_papers", {"paper_id": DPPO, "limit": "5"}),
    ("concepts_of_paper", {"paper_id": DPPO}),
    ("papers_by_concept", {"concept": "method:proximal-policy-optimization", "limit": "5"}),
    ("top_concepts", {"type": "method", "limit": "5"}),
    ("cooccurring_concepts", {"concept_id": "method:diffusion-policy", "limit": "5"}),
    ("papers_with_code", {"limit": "5"}),
    ("path_between_papers", {"source": DPPO,
                             "target": "paper:domain-randomization-via-entropy-maximization",
                             "limit": "2"}),
    ("method_benchmark_matrix", {"limit": "8"}),
    ("search_papers", {"query": "offline reinforcement learning", "limit": "5"}),
    ("search_concepts", {"query": "diffusion", "limit": "5"}),
    ("concept_timeline", {"limit": "5"}),
]


def _cell(value: object, width: int = 70) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, float):
        value = f"{value:.3f}"
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def main(store_path: str) -> None:
    with SQLiteStore(store_path) as store:
        for name, params in EXAMPLES:
            args = " ".join(f"-p {k}={v!r}" if " " in v else f"-p {k}={v}" for k, v in params.items())
            result = run_query(name, params, store)
            print(f"**{name}** — `kg query {name} {args}`\n")
            if not result.rows:
                print("(no rows on the example corpus)\n")
                continue
            print("| " + " | ".join(result.columns) + " |")
            print("|" + "---|" * len(result.columns))
            for row in result.rows[:6]:
                print("| " + " | ".join(_cell(v) for v in row) + " |")
            print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "kg.db")
