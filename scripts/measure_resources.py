"""Measure kg's resources against the dev gold: reachable recall and gazetteer false positives.

For each gold concept of the dev gold (tests/data/seed-dev.jsonl) this reports whether some resource
entry of the same group (methods; datasets+benchmarks; tasks) has a surface form with the same
lenient lookup key (case, hyphens, plural -s ignored) as the gold name or one of its aliases.

Then it runs a plain gazetteer over the titles+abstracts of the gold papers (single words with
inner capitals or digits match case-sensitively, other forms leniently, longest match wins) and
counts the entries that fire: true positives (the entry names a gold concept of its group) and
false positives (it does not). This measures the resources alone (every gazetteer hit kept), not
the extractor's score.

Usage:
    python scripts/measure_resources.py [--gold tests/data/seed-dev.jsonl]
        [--papers examples/hf-papers-policy.txt] [--show 40]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kg.models import EntityType  # noqa: E402
from kg.resources import ResourceEntry, generic_terms, load_resources, lookup_key  # noqa: E402

GROUP = {
    EntityType.METHOD: "methods",
    EntityType.DATASET: "datasets+benchmarks",
    EntityType.BENCHMARK: "datasets+benchmarks",
    EntityType.TASK: "tasks",
}
GOLD_GROUP = {"methods": "methods", "datasets": "datasets+benchmarks",
              "benchmarks": "datasets+benchmarks", "tasks": "tasks"}
_TOKEN = re.compile(r"[^\s\-/]+")
_EDGE = "\"'()[]{},.;:!?“”‘’"
MAX_TOKENS = 8


def read_hf_text(path: Path) -> list[tuple[str, str]]:
    """(title, abstract) pairs of an HF papers page text dump (header lines skipped)."""
    lines = [line.rstrip("\n") for line in path.open(encoding="utf-8")]
    body = [line for line in lines if line.strip()]
    while body and body[0].startswith("Get trending papers"):
        body.pop(0)
    if body and body[0].startswith("Subscribe"):
        body[0] = body[0][len("Subscribe"):]
    return [(body[i], body[i + 1]) for i in range(0, len(body) - 1, 2)]


def case_sensitive(form: str) -> bool:
    """Single words with inner capitals or short ones with digits match with their case ("PPO",
    "MuJoCo", "MATH" vs "math"); multi-word names match in any case (as kg's extractor does)."""
    if " " in form:
        return False
    if any(ch.isupper() for part in form.split("-") for ch in part[1:]):
        return True
    return any(ch.isdigit() for ch in form) and len(form) <= 6


def _tokens(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


class Gazetteer:
    """Lenient longest-match lookup of resource surface forms in text."""

    def __init__(self, entries: tuple[ResourceEntry, ...]) -> None:
        self.multi: dict[str, set[int]] = defaultdict(set)
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.entries = entries
        generic = generic_terms()
        for idx, entry in enumerate(entries):
            for form in entry.surface_forms():
                if form.lower() in generic:
                    continue
                if case_sensitive(form):
                    self.exact[form].add(idx)
                    # plural of an acronym or name ("LLMs", "VLMs")
                    self.exact[form + "s"].add(idx)
                else:
                    self.multi[lookup_key(form)].add(idx)

    def find(self, text: str) -> list[tuple[str, set[int]]]:
        spans = _tokens(text)
        out = []
        i = 0
        while i < len(spans):
            hit = None
            for j in range(min(len(spans), i + MAX_TOKENS) - 1, i - 1, -1):
                surface = text[spans[i][0]:spans[j][1]]
                ids = self.exact.get(surface) or self.multi.get(lookup_key(surface))
                if ids:
                    hit = (j, surface, ids)
                    break
            if hit:
                out.append((hit[1], hit[2]))
                i = hit[0] + 1
            else:
                i += 1
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=REPO / "tests" / "data" / "seed-dev.jsonl")
    parser.add_argument("--papers", type=Path, default=REPO / "examples" / "hf-papers-policy.txt")
    parser.add_argument("--show", type=int, default=30, help="list this many top misses/FPs")
    args = parser.parse_args(argv)

    entries = load_resources()
    keys: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        for form in entry.surface_forms():
            keys[GROUP[entry.type]].add(lookup_key(form))

    gold = [json.loads(line) for line in args.gold.open(encoding="utf-8") if line.strip()]
    papers = read_hf_text(args.papers)
    print(f"resources: {len(entries)} entries; papers in dump: {len(papers)}; gold papers: {len(gold)}")

    reach: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed: dict[str, Counter[str]] = defaultdict(Counter)
    gold_keys: list[dict[str, set[str]]] = []
    for record in gold:
        per: dict[str, set[str]] = defaultdict(set)
        for field, group in GOLD_GROUP.items():
            for concept in record.get(field, []):
                forms = [concept["name"], *concept.get("aliases", [])]
                fkeys = {lookup_key(f) for f in forms}
                per[group] |= fkeys
                total[group] += 1
                if fkeys & keys[group]:
                    reach[group] += 1
                else:
                    missed[group][concept["name"]] += 1
        gold_keys.append(per)
    print("\nreachable recall of gold concepts (lenient key lookup, same group):")
    for group in ("methods", "datasets+benchmarks", "tasks"):
        print(f"  {group:20s} {reach[group]:4d}/{total[group]:4d} = {reach[group] / max(total[group], 1):.3f}")

    gaz = Gazetteer(entries)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fp_names: dict[str, Counter[str]] = defaultdict(Counter)
    for record, per in zip(gold, gold_keys):
        title, abstract = papers[record["idx"]]
        if title.strip() != record["title"].strip():
            print(f"warning: title mismatch at idx {record['idx']}: {title[:60]!r}", file=sys.stderr)
        seen: set[tuple[str, int]] = set()
        for surface, ids in gaz.find(title + "\n" + abstract):
            groups = {GROUP[entries[i].type] for i in ids}
            for group in groups:
                concept = min(i for i in ids if GROUP[entries[i].type] == group)
                if (group, concept) in seen:
                    continue
                seen.add((group, concept))
                forms = entries[concept].surface_forms()
                if lookup_key(surface) in per[group] or any(lookup_key(f) in per[group] for f in forms):
                    tp[group] += 1
                else:
                    fp[group] += 1
                    fp_names[group][f"{surface} -> {entries[concept].name} [{entries[concept].source}]"] += 1
    fires_all: Counter[str] = Counter()
    for title, abstract in papers:
        for _surface, ids in gaz.find(title + "\n" + abstract):
            for group in {GROUP[entries[i].type] for i in ids}:
                fires_all[group] += 1
    print("\ngazetteer over the gold papers (distinct concepts per paper):")
    for group in ("methods", "datasets+benchmarks", "tasks"):
        fired = tp[group] + fp[group]
        print(f"  {group:20s} fired {fired:4d}  TP {tp[group]:4d}  FP {fp[group]:4d}  "
              f"precision {tp[group] / max(fired, 1):.3f}  recall {tp[group] / max(total[group], 1):.3f}"
              f"  (matches in all {len(papers)} abstracts: {fires_all[group]})")
    for group in ("methods", "datasets+benchmarks", "tasks"):
        print(f"\ntop false positives, {group}:")
        for name, count in fp_names[group].most_common(args.show):
            print(f"  {count:3d}  {name}")
        print(f"top unreachable gold, {group}:")
        print("  " + "; ".join(n for n, _ in missed[group].most_common(args.show)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
