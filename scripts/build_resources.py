"""Build kg's shipped resource files (kg/data/{methods,datasets,benchmarks,tasks}.jsonl).

Sources (see kg/data/README.md for provenance and licences):
  * kg/data/curated.jsonl    hand-curated entries (kg, MIT); they win every conflict.
  * pwc/methods.json.gz      Papers with Code methods (CC-BY-SA 4.0): name, full_name.
  * pwc/*tasks*.csv, pwc/data_all_tasks.txt, pwc/results_task_hierarchy.csv
                             Papers with Code task tables (CC-BY-SA 4.0): tasks, their datasets.
  * ito/ai-process.json      Intelligence Task Ontology (CC-BY-SA 3.0 AT): task names, synonyms.
  * scirex-train/            SciREX (Apache-2.0): Papers-with-Code names of salient clusters.

Filtering keeps precision high: a name from an external source is dropped when it is a generic
phrase (kg/data/generic.txt), a single common English word (its lower-case form occurs lower-case
in the external research text corpora), a building block from a Papers with Code collection of
layers/activations/etc. whose words are all common, too long to be a name, or noisy (leaderboard
split suffixes, parentheses, digits only). Curated entries are never filtered.

The output is deterministic: sorted entries, sorted aliases, no timestamps.

Usage:
    python scripts/build_resources.py [EXTERNAL_DIR] [--out DIR]
    (EXTERNAL_DIR defaults to ../shared/external relative to the repository root;
     --out defaults to kg/data)
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kg.models import EntityType  # noqa: E402
from kg.resources import RESOURCE_FILES, ResourceEntry, lookup_key  # noqa: E402

csv.field_size_limit(10**8)

# Papers with Code collections of low-level building blocks. A method only in these collections is
# kept only when its name is distinctive (not made of common words alone), e.g. "GELU" stays,
# "Linear Layer" and "Dense Connections" go.
BLOCK_COLLECTIONS = frozenset(
    {
        "Activation Functions",
        "Attention Mechanisms",
        "Attention Modules",
        "Attention Patterns",
        "Convolutions",
        "Feedforward Networks",
        "Image Model Blocks",
        "Skip Connection Blocks",
        "Skip Connections",
        "Pooling Operations",
        "Output Functions",
        "Miscellaneous Components",
        "Normalization",
        "Regularization",
        "Loss Functions",
        "Learning Rate Schedules",
        "Initialization",
        "Image Data Augmentation",
        "Feature Extractors",
        "Proposal Filtering",
        "RoI Feature Extractors",
        "Semantic Segmentation Modules",
        "Feature Pyramid Blocks",
        "Audio Model Blocks",
        "Video Model Blocks",
        "Temporal Convolutions",
        "Discriminators",
        "Position Embeddings",
        "Stochastic Optimization",
        "Optimization",
        "Large Batch Optimization",
        "Distributed Methods",
        "Data Parallel Methods",
        "Model Parallel Methods",
        "Hybrid Parallel Methods",
        "Parameter Server Methods",
        "Clustering",
        "Dimensionality Reduction",
        "Graph Data Augmentation",
        "Interpretability",
        "Miscellaneous",
        "Working Memory Models",
        "Prioritized Sampling",
        "Replay Memory",
        "Value Function Estimation",
        "Exploration Strategies",
        "Policy Evaluation",
    }
)

MAX_WORDS = {EntityType.METHOD: 7, EntityType.DATASET: 5, EntityType.BENCHMARK: 5, EntityType.TASK: 6}
SOURCE_ORDER = ("curated", "pwc", "ito", "scirex")
TYPE_ORDER = (EntityType.METHOD, EntityType.BENCHMARK, EntityType.DATASET, EntityType.TASK)

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_SPLIT_SUFFIX = re.compile(
    r"(?:\s*[-(]?\s*\b(?:test|val|valid|validation|dev|train|test-dev|test-std|testA|testB|"
    r"test set|dev set|val set|public|private|full|clean|other)\b\)?)+$",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"^(?=.*[A-Z])[A-Za-z0-9][A-Za-z0-9+\-./]*$")
_SHORT_CAPS = re.compile(r"^[A-Z][A-Z0-9\-]*$")
_TASK_SUFFIXES = ("tion", "sion", "ing", "ment", "sis", "ance", "ence")
_TASK_HEADS = frozenset(
    {
        "retrieval", "search", "transfer", "design", "discovery", "control", "qa", "nmt", "asr",
        "ner", "mrc", "nli", "slam", "repair", "fusion", "odometry", "attack", "defense",
        "robustness", "fairness", "dialog", "dialogue", "problem", "regression", "alignment",
        "generalization", "reasoning", "inference", "synthesis", "diagnosis", "analysis",
        "re-identification", "super-resolution", "forecasting", "recommendation", "understanding",
        "navigation", "manipulation", "locomotion", "grasping", "driving", "trading", "racing",
        "similarity", "capture",
    }
)
_SUBSET_TOKEN = re.compile(r"^\d+([-.]\d+)*%?$|^subtask$|^task$", re.IGNORECASE)
RARE_METHOD_PAPERS = 100  # below this, a short all-caps PwC acronym is too likely to mean something else


def _plain_word(word: str) -> bool:
    """An alphabetic word in lower or title case (no digits, no inner capitals)."""
    return word.isalpha() and (word.islower() or (word[0].isupper() and word[1:].islower()))


def _ambiguous_acronym(short: str, papers: int) -> bool:
    """Short all-caps acronyms ("SCN", "ALI") of rarely used methods collide with newer names."""
    letters = sum(ch.isalpha() for ch in short)
    return bool(_SHORT_CAPS.match(short)) and letters <= 4 and papers < RARE_METHOD_PAPERS


@dataclass
class Candidate:
    """One concept under construction."""

    name: str
    type: EntityType
    aliases: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    parents: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- vocabulary


def _corpus_tokens(external: Path) -> Iterator[str]:
    """Tokens of running text in the external research corpora (for the common-word test)."""
    for name in ("train.json", "dev.json"):
        path = external / "scierc" / name
        if path.is_file():
            for line in path.open(encoding="utf-8"):
                for sentence in json.loads(line)["sentences"]:
                    yield from sentence
    path = external / "scirex-train" / "train_docs.jsonl.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                yield from json.loads(line)["words"]
    for path in sorted((external / "tdmsci").glob("*.conll")):
        for line in path.open(encoding="utf-8"):
            parts = line.split()
            if parts:
                yield parts[0]
    for path in sorted((external / "heddes").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                yield row.get("Word") or ""


def common_words(external: Path, min_count: int = 2) -> frozenset[str]:
    """Lower-case words that occur in lower case at least ``min_count`` times in running text."""
    counts: Counter[str] = Counter()
    for token in _corpus_tokens(external):
        if token.islower() and token.isalpha():
            counts[token] += 1
    return frozenset(w for w, c in counts.items() if c >= min_count)


# --------------------------------------------------------------------------- readers


def read_curated(path: Path) -> list[ResourceEntry]:
    """The hand-curated entries (validated)."""
    entries = []
    for lineno, line in enumerate(path.open(encoding="utf-8"), start=1):
        if line.strip():
            try:
                entries.append(ResourceEntry.model_validate_json(line))
            except ValueError as exc:
                raise SystemExit(f"{path}:{lineno}: {exc}") from None
    return entries


def read_generic(path: Path) -> frozenset[str]:
    terms = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            terms.add(line)
    return frozenset(terms)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(",;:")


def pwc_methods(external: Path) -> Iterator[tuple[str, list[str], set[str], int]]:
    """(long name, short aliases, collections, num_papers) of each Papers with Code method."""
    path = external / "pwc" / "methods.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        methods = json.load(handle)
    for method in methods:
        name = _clean(method.get("name") or "")
        full = _clean(method.get("full_name") or "")
        collections = {c["collection"] for c in method.get("collections") or [] if c.get("collection")}
        if not name and not full:
            continue
        long_name = full or name
        aliases = [name] if name and name != long_name else []
        yield long_name, aliases, collections, int(method.get("num_papers") or 0)


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def pwc_tasks(external: Path) -> tuple[list[str], dict[str, set[str]], list[str]]:
    """Task names, task -> child tasks, and dataset names of the Papers with Code task tables."""
    pwc = external / "pwc"
    tasks: set[str] = set()
    children: dict[str, set[str]] = defaultdict(set)
    datasets: list[str] = []
    path = pwc / "data_all_tasks.txt"
    if path.is_file():
        for line in path.open(encoding="utf-8"):
            name = _clean(line.strip().strip('"'))
            if name:
                tasks.add(name)
    for path in sorted(pwc.glob("results_*tasks_detailed.csv")):
        for row in _read_csv_rows(path):
            name = _clean(row.get("Task Name") or "")
            if name:
                tasks.add(name)
            for column in ("Common Datasets (Top 10)", "Benchmarks"):
                for value in (row.get(column) or "").split(";"):
                    value = _clean(value)
                    if value and value != "N/A":
                        datasets.append(value)
    path = pwc / "results_task_hierarchy.csv"
    if path.is_file():
        for row in _read_csv_rows(path):
            parent = _clean(row.get("Parent Task") or "")
            for child in (row.get("Child Tasks") or "").split(";"):
                child = _clean(child).rstrip(".")
                if parent and child and not child.endswith(".."):
                    children[parent].add(child)
                    tasks.add(child)
            if parent:
                tasks.add(parent)
    return sorted(tasks), children, datasets


def ito_tasks(external: Path) -> Iterator[tuple[str, list[str], str | None]]:
    """(name, synonyms, parent name) of each Intelligence Task Ontology AI process."""
    path = external / "ito" / "ai-process.json"
    if not path.is_file():
        return
    root = json.loads(path.read_text(encoding="utf-8"))

    def synonyms(node: dict) -> list[str]:
        raw = node.get("hasExactSynonym")
        if not raw:
            return []
        if isinstance(raw, list):
            return [str(s) for s in raw]
        return re.findall(r"'([^']+)'", raw) or [raw]

    stack: list[tuple[dict, str | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        name = _clean(node.get("name") or "")
        yield name, synonyms(node), parent
        for child in node.get("children") or []:
            stack.append((child, name))


def scirex_names(external: Path) -> Iterator[tuple[str, EntityType]]:
    """Papers-with-Code names of SciREX salient clusters, typed by their n-ary relation role."""
    path = external / "scirex-train" / "train_docs.jsonl.gz"
    if not path.is_file():
        return
    roles = {"Method": EntityType.METHOD, "Material": EntityType.DATASET, "Task": EntityType.TASK}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            for relation in doc.get("n_ary_relations") or []:
                for role, type_ in roles.items():
                    raw = relation.get(role)
                    if not raw or "__" in raw:  # "__" encodes brackets: model variants, splits
                        continue
                    yield raw.replace("_", " ").strip(), type_


# --------------------------------------------------------------------------- filters


@dataclass
class Filters:
    generic: frozenset[str]
    common: frozenset[str]

    def words(self, text: str) -> list[str]:
        return _WORD.findall(text)

    def is_common_single(self, text: str) -> bool:
        """A single word that is an ordinary English word (not an acronym or CamelCase name)."""
        tokens = text.split()
        if len(tokens) != 1:
            return False
        word = tokens[0]
        if not word.isalpha():
            # hyphenated compounds of common words ("Self-Attention") count as common
            parts = [p for p in re.split(r"[-/]", word) if p]
            return bool(parts) and all(p.isalpha() and self._plain(p) for p in parts)
        return self._plain(word)

    def is_capitalized_word(self, text: str) -> bool:
        """An English word written in capitals ("MEAN", "ROAD", "SPOT"), not an acronym."""
        return text.isalpha() and text.isupper() and len(text) >= 3 and text.lower() in self.common

    def _plain(self, word: str) -> bool:
        # CamelCase or all-caps words are names, not English words
        if not (word.islower() or (word[0].isupper() and word[1:].islower())):
            return False
        low = word.lower()
        return low in self.common or (low.endswith("s") and low[:-1] in self.common)

    def all_common(self, text: str, any_case: bool = False) -> bool:
        """Every word is an ordinary English word (``any_case``: also when written in capitals)."""
        words = [w for w in re.split(r"[\s\-/.']+", text) if w]
        if any_case:
            return all(w.isalpha() and w.lower() in self.common for w in words)
        return all(w.isalpha() and self._plain(w) for w in words)

    def dataset_check(self, name: str) -> str | None:
        """Dataset names from leaderboard tables need a distinctive word and some length."""
        if len(name) <= 3:
            return "short acronym"
        if self.all_common(name, any_case=True):
            return "common words"
        if len(name.split()) == 1 and _plain_word(name):
            return "plain word"  # "Cornell", "Soybean", "emergent": not distinctive enough
        return None

    def task_check(self, name: str) -> str | None:
        """Task names need a real word and a task-like head noun ("... Detection", "... Control").

        Papers with Code task lists also hold leaderboard subsets ("Disjoint 10-1", "Adroid
        pen-human"), exam subjects ("College Physics") and objects ("Knowledge Graphs", "Word
        Embeddings", "Point Clouds"); a head noun that names an activity keeps the real tasks.
        """
        if not any(len(w) >= 3 for w in _WORD.findall(name)):
            return "no word"
        if " - " in name or any(_SUBSET_TOKEN.match(t) for t in name.split()):
            return "leaderboard subset"
        # "Object Detection In Aerial Images": the head precedes the prepositional phrase
        core = re.split(r"\s(?:on|in|from|for|of|with|using|under|via)\s", name.lower())[0]
        head = re.split(r"[\s\-/]+", core)[-1]
        if head.endswith("s") and not head.endswith(("ss", "sis", "us")):
            head = head[:-1]
        if not (head.endswith(_TASK_SUFFIXES) or head in _TASK_HEADS):
            return "head is not a task"
        return None

    def bad_form(self, text: str, type_: EntityType) -> str | None:
        """Why an external surface form is unusable, or None when it is fine."""
        if len(text) < 2:
            return "too short"
        if not any(ch.isalpha() for ch in text):
            return "no letters"
        if text.lower() in self.generic or lookup_key(text) in self.generic:
            return "generic"
        if len(text.split()) > MAX_WORDS[type_]:
            return "too long"
        if any(ch in text for ch in "()[]{}*,;:?\"“”"):
            return "punctuation"
        if len(text) <= 2 and not text.isupper():
            return "too short"
        if self.is_common_single(text) or self.is_capitalized_word(text):
            return "common word"
        return None


# --------------------------------------------------------------------------- merging


class Builder:
    """Merges candidates: curated first, then external ones; one owner per lookup key."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        self.entries: list[Candidate] = []
        self.owner: dict[str, int] = {}  # lookup key -> entry index (across all types)
        self.curated: set[int] = set()
        self.dropped: Counter[str] = Counter()

    def add_curated(self, entry: ResourceEntry) -> None:
        idx = len(self.entries)
        self.entries.append(
            Candidate(entry.name, entry.type, list(entry.aliases), {"curated"}, list(entry.parents))
        )
        self.curated.add(idx)
        for form in entry.surface_forms():
            key = lookup_key(form)
            if key in self.owner and self.owner[key] != idx:
                other = self.entries[self.owner[key]]
                raise SystemExit(f"curated.jsonl: {form!r} of {entry.name!r} also names {other.name!r}")
            self.owner[key] = idx

    def add_external(
        self,
        name: str,
        type_: EntityType,
        aliases: Iterable[str],
        source: str,
        parents: Iterable[str] = (),
        extra_check: str | None = None,
    ) -> None:
        """Add or merge an external concept; its long name decides whom it merges with."""
        key = lookup_key(name)
        if key in self.owner and self.owner[key] in self.curated:
            # a curated concept: record the source; the filters are for unknown names only
            if name.lower() not in self.filters.generic:
                target = self.entries[self.owner[key]]
                target.sources.add(source)
                known = {f.casefold() for f in (target.name, *target.aliases)}
                if name.casefold() not in known:  # "Math" must not loosen the curated "MATH"
                    target.aliases.append(name)
            return
        reason = extra_check or self.filters.bad_form(name, type_)
        if reason:
            self.dropped[f"{source}/{type_.value}: {reason}"] += 1
            return
        key = lookup_key(name)
        if not key:
            return
        forms = [a for a in aliases if not self.filters.bad_form(a, type_)]
        if key in self.owner:
            idx = self.owner[key]
            target = self.entries[idx]
            if target.type is not type_ and idx not in self.curated:
                # cross-type clash between external sources: the earlier (type-ordered) wins
                self.dropped[f"{source}/{type_.value}: type clash"] += 1
                return
            target.sources.add(source)
            if name.casefold() not in {f.casefold() for f in (target.name, *target.aliases)}:
                target.aliases.append(name)
        else:
            idx = len(self.entries)
            target = Candidate(name, type_, [], {source}, [])
            self.entries.append(target)
            self.owner[key] = idx
        for form in forms:
            fkey = lookup_key(form)
            if not fkey:
                continue
            if fkey in self.owner and self.owner[fkey] != idx:
                continue  # the alias names another concept: leave it to its owner
            self.owner[fkey] = idx
            if form.casefold() not in {f.casefold() for f in (target.name, *target.aliases)}:
                target.aliases.append(form)
        if idx not in self.curated:
            for parent in parents:
                if parent not in target.parents:
                    target.parents.append(parent)

    def result(self) -> list[ResourceEntry]:
        names_by_type: dict[EntityType, dict[str, str]] = defaultdict(dict)
        for cand in self.entries:
            for form in (cand.name, *cand.aliases):
                names_by_type[cand.type].setdefault(lookup_key(form), cand.name)
        out = []
        for cand in self.entries:
            parents = []
            for parent in cand.parents:
                resolved = names_by_type[cand.type].get(lookup_key(parent))
                if resolved and resolved != cand.name and resolved not in parents:
                    parents.append(resolved)
            aliases = sorted(
                {a for a in cand.aliases if a != cand.name}, key=lambda a: (a.casefold(), a)
            )
            source = "+".join(s for s in SOURCE_ORDER if s in cand.sources)
            out.append(
                ResourceEntry(
                    name=cand.name,
                    type=cand.type,
                    aliases=tuple(aliases),
                    source=source,
                    parents=tuple(sorted(parents, key=str.casefold)),
                )
            )
        out.sort(key=lambda e: (e.type.value, e.name.casefold(), e.name))
        return out


def _strip_split(name: str) -> str:
    """'COCO test-dev' -> 'COCO'; 'BDD100K val' -> 'BDD100K' (leaderboard splits are not names)."""
    return _clean(_SPLIT_SUFFIX.sub("", name))


def _acronym_alias(short: str, long_name: str) -> bool:
    """Papers with Code ``name`` is a usable alias of ``full_name`` when it looks like an acronym."""
    return bool(_ACRONYM.match(short)) and len(short) <= 12 and short.lower() != long_name.lower()


def build(external: Path, data_dir: Path) -> tuple[list[ResourceEntry], Counter[str]]:
    """Build all entries from the curated file and the external folder.

    Args:
        external: The external data folder (pwc/, ito/, scirex-train/, scierc/, tdmsci/).
        data_dir: Folder holding curated.jsonl and generic.txt.

    Returns:
        The sorted entries and a counter of dropped names by source/type/reason.
    """
    filters = Filters(read_generic(data_dir / "generic.txt"), common_words(external))
    builder = Builder(filters)
    for entry in read_curated(data_dir / "curated.jsonl"):
        builder.add_curated(entry)

    # methods: Papers with Code method catalogue
    if (external / "pwc" / "methods.json.gz").is_file():
        for long_name, short, collections, papers in sorted(pwc_methods(external)):
            aliases = [
                s for s in short if _acronym_alias(s, long_name) and not _ambiguous_acronym(s, papers)
            ]
            short = [s for s in short if not _ambiguous_acronym(s, papers)]
            check = None
            if _ambiguous_acronym(long_name, papers):
                check = "ambiguous acronym"
            if collections and collections <= BLOCK_COLLECTIONS and filters.all_common(long_name):
                check = "building block"
            if not aliases and short and check is None and filters.bad_form(long_name, EntityType.METHOD):
                # full name unusable but the short name may be a fine name of its own ("GELU")
                long_name, aliases = short[0], []
            builder.add_external(long_name, EntityType.METHOD, aliases, "pwc", extra_check=check)

    # tasks: Papers with Code tables + hierarchy, ITO
    tasks, children, datasets = pwc_tasks(external)
    parents_of: dict[str, set[str]] = defaultdict(set)
    for parent, kids in children.items():
        for kid in kids:
            parents_of[kid].add(parent)
    for name in tasks:
        builder.add_external(
            name, EntityType.TASK, [], "pwc", sorted(parents_of.get(name, ())),
            extra_check=filters.task_check(name),
        )
    for name, synonyms, parent in sorted(ito_tasks(external), key=lambda t: (t[0], t[2] or "")):
        if name.lower().endswith((" process", " task")) or name == "AI process":
            continue
        builder.add_external(
            name, EntityType.TASK, synonyms, "ito", [parent] if parent else [],
            extra_check=filters.task_check(name),
        )

    # datasets: Papers with Code task tables (split suffixes removed), counted across tasks
    counts = Counter(_strip_split(d) for d in datasets)
    for name in sorted(counts):
        if name:
            builder.add_external(name, EntityType.DATASET, [], "pwc", extra_check=filters.dataset_check(name))

    # SciREX cluster names (Papers-with-Code names) of methods, datasets, tasks
    for name, type_ in sorted(set(scirex_names(external)), key=lambda t: (t[1].value, t[0])):
        check = filters.dataset_check(name) if type_ is EntityType.DATASET else None
        if type_ is EntityType.METHOD and _ambiguous_acronym(name, 0):
            check = "ambiguous acronym"  # SciREX: one paper's short model name ("SAN", "DIN")
        if type_ is EntityType.TASK:
            check = filters.task_check(name)
        builder.add_external(name, type_, [], "scirex", extra_check=check)

    return builder.result(), builder.dropped


def write(entries: list[ResourceEntry], out_dir: Path) -> dict[str, int]:
    """Write one JSONL file per type; returns the entry count of each file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for type_, filename in RESOURCE_FILES.items():
        rows = [e for e in entries if e.type is type_]
        with (out_dir / filename).open("w", encoding="utf-8", newline="\n") as handle:
            for entry in rows:
                record = entry.model_dump(mode="json")
                for key in ("aliases", "parents"):
                    if not record[key]:
                        del record[key]
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
        counts[filename] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("external", nargs="?", type=Path, default=REPO.parent / "shared" / "external")
    parser.add_argument("--out", type=Path, default=REPO / "kg" / "data", help="output folder")
    parser.add_argument("--data", type=Path, default=REPO / "kg" / "data",
                        help="folder with curated.jsonl and generic.txt")
    parser.add_argument("--verbose", action="store_true", help="print why names were dropped")
    args = parser.parse_args(argv)
    if not args.external.is_dir():
        parser.error(f"external data folder not found: {args.external}")
    entries, dropped = build(args.external, args.data)
    counts = write(entries, args.out)
    for filename, count in counts.items():
        print(f"{args.out / filename}: {count} entries")
    if args.verbose:
        for reason, count in sorted(dropped.items()):
            print(f"  dropped {count:6d}  {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
