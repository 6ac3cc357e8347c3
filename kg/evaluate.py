"""Score extracted concepts against hand-annotated gold data (``kg evaluate``).

Gold records (JSONL, see the annotation guidelines) are matched to predicted
:class:`~kg.models.PaperConcepts` by id or by normalized title. Within a paper, gold and
predicted concepts of a group are paired one-to-one; a pair matches leniently when the name or
any alias of one equals the name or any alias of the other after normalization (case, hyphens
and spaces, plural -s). Groups: ``methods``, ``datasets+benchmarks`` (one group: calling a
benchmark a dataset is not an error), ``tasks``, ``repos`` (gold links of kind code, model or
dataset against predicted repo entities). Scores are micro-averaged over the gold papers.

Example:
    >>> import json, tempfile
    >>> from kg.models import EntityType, PaperConcepts, PaperEntity
    >>> gold = {"id": "p1", "title": "T", "methods": [{"name": "Proximal Policy Optimization",
    ...         "aliases": ["PPO"], "proposed": False}], "datasets": [], "benchmarks": [],
    ...         "tasks": [], "links": []}
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    ...     _ = f.write(json.dumps(gold) + "\\n")
    >>> pred = PaperConcepts(id="paper:p1", title="T", entities=(PaperEntity(
    ...     id="method:ppo", type=EntityType.METHOD, name="PPO"),))
    >>> evaluate(f.name, [pred]).groups["methods"].f1
    1.0
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kg.errors import InputError
from kg.jsonlines import json_objects
from kg.models import EntityType, PaperConcepts

GROUPS = ("methods", "datasets+benchmarks", "tasks", "repos")
"""Evaluation groups, in report order."""

_GROUP_OF_TYPE = {
    EntityType.METHOD: "methods",
    EntityType.DATASET: "datasets+benchmarks",
    EntityType.BENCHMARK: "datasets+benchmarks",
    EntityType.TASK: "tasks",
    EntityType.REPO: "repos",
}
_REPO_KINDS = frozenset({"code", "model", "dataset"})
_SEP = re.compile(r"[\s\-_\u2010-\u2015/]+")
_DROP = re.compile(r"[^\w\s]")


def normalize_name(text: str) -> str:
    """Lenient comparison key: case, hyphens/spaces/underscores, punctuation, plural -s ignored.

    Args:
        text: A concept name or alias.

    Returns:
        The key; ``"Large Language Models"``, ``"large-language model"`` -> ``"largelanguagemodel"``.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    words = _DROP.sub("", _SEP.sub(" ", text)).split()
    out = []
    for word in words:
        if len(word) > 3 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        out.append(word)
    return "".join(out)


def repo_keys(url_or_id: str) -> set[str]:
    """Comparison keys of a repository given as a URL or a ``repo:`` entity id.

    ``https://github.com/Owner/Name/tree/main``, ``github.com/owner/name`` and
    ``repo:github:owner/name`` share the key ``github.com/owner/name``.

    Args:
        url_or_id: A URL (with or without scheme) or an entity id.

    Returns:
        A set with zero or one key (lower-cased host/path of the repository root).
    """
    value = url_or_id.strip().rstrip(".,;:/")
    if value.startswith("repo:"):
        rest = value[len("repo:") :]
        host, _, path = rest.partition(":")
        host = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org",
                "huggingface": "huggingface.co", "hf": "huggingface.co"}.get(host, host)
        value = f"https://{host}/{path}"
    parts = urlsplit(value if "://" in value else "https://" + value)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    if not host:
        return set()
    if host in ("huggingface.co", "hf.co"):
        host = "huggingface.co"
        keep = 3 if path and path[0] == "datasets" else 2
    elif host in ("github.com", "gitlab.com", "bitbucket.org"):
        keep = 2
    else:
        keep = len(path)
    path = path[:keep]
    if path and path[-1].endswith(".git"):
        path[-1] = path[-1][:-4]
    return {"/".join([host, *path]).lower()}


@dataclass(frozen=True)
class Concept:
    """A gold or predicted concept as the scorer sees it."""

    name: str
    aliases: tuple[str, ...] = ()
    proposed: bool | None = None
    keys: frozenset[str] = frozenset()

    @classmethod
    def of(cls, name: str, aliases: Iterable[str] = (), proposed: bool | None = None) -> Concept:
        """Build a concept with its normalized name keys."""
        aliases = tuple(aliases)
        keys = frozenset(k for k in (normalize_name(n) for n in (name, *aliases)) if k)
        return cls(name, aliases, proposed, keys)

    @classmethod
    def repo(cls, name: str, sources: Iterable[str]) -> Concept:
        """Build a repository concept keyed by its URL / id forms."""
        keys: set[str] = set()
        for source in sources:
            keys |= repo_keys(source)
        return cls(name, (), None, frozenset(keys))


@dataclass
class GroupScore:
    """True positives, false positives and false negatives of one group, with P/R/F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 0.0 without predictions."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 0.0 without gold items."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        """Counts and rounded scores."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class PaperErrors:
    """What one paper got wrong: per group, predicted names not in gold and gold names missed."""

    id: str
    title: str
    false_positives: dict[str, list[str]] = field(default_factory=dict)
    false_negatives: dict[str, list[str]] = field(default_factory=dict)
    proposed_errors: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the paper has no error."""
        return not (any(self.false_positives.values()) or any(self.false_negatives.values())
                    or self.proposed_errors)

    def to_dict(self) -> dict[str, object]:
        """Plain dict for JSON output."""
        return {"id": self.id, "title": self.title, "false_positives": self.false_positives,
                "false_negatives": self.false_negatives, "proposed_errors": self.proposed_errors}


@dataclass
class EvalReport:
    """The result of :func:`evaluate`."""

    groups: dict[str, GroupScore]
    proposed_correct: int
    proposed_total: int
    papers_gold: int
    papers_matched: int
    errors: list[PaperErrors]

    @property
    def proposed_accuracy(self) -> float:
        """Share of matched methods whose ``proposed`` flag equals the gold flag."""
        return self.proposed_correct / self.proposed_total if self.proposed_total else 0.0

    def to_dict(self) -> dict[str, object]:
        """Everything as plain JSON-ready data (``kg evaluate --json``)."""
        return {
            "papers": {"gold": self.papers_gold, "matched": self.papers_matched},
            "groups": {name: score.to_dict() for name, score in self.groups.items()},
            "proposed": {"correct": self.proposed_correct, "total": self.proposed_total,
                         "accuracy": round(self.proposed_accuracy, 4)},
            "errors": [e.to_dict() for e in self.errors if not e.is_empty()],
        }

    def table_rows(self) -> list[tuple[str, str, str, str, str, str, str]]:
        """Rows ``(group, precision, recall, f1, tp, fp, fn)`` for printing, plus a proposed row."""
        rows = [
            (name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.tp), str(s.fp),
             str(s.fn))
            for name, s in self.groups.items()
        ]
        rows.append(("proposed flag (accuracy)", f"{self.proposed_accuracy:.3f}", "", "",
                     str(self.proposed_correct), str(self.proposed_total - self.proposed_correct),
                     ""))
        return rows


def _title_key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKC", title).casefold())


def read_gold(gold_path: Path | str) -> list[dict[str, object]]:
    """Read a gold JSONL file.

    Args:
        gold_path: Path of the gold file.

    Returns:
        The records in file order.

    Raises:
        InputError: The file is missing or a line is not a JSON object with a title.
    """
    path = Path(gold_path)
    if not path.is_file():
        raise InputError(f"{path}: gold file not found — check the path")
    records = []
    expected = 'a JSON object with a "title" string'
    for lineno, record in json_objects(path, hint="fix the line", expected=expected):
        if not isinstance(record.get("title"), str):
            raise InputError(f"{path}:{lineno}: expected {expected} — fix the line")
        for key in ("methods", "datasets", "benchmarks", "tasks", "links"):
            value = record.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise InputError(
                    f'{path}:{lineno}: field "{key}" must be a list of objects — fix the line'
                )
        records.append(record)
    return records


def _gold_concepts(record: dict[str, object]) -> dict[str, list[Concept]]:
    def items(key: str) -> list[dict[str, object]]:
        return record.get(key, [])  # type: ignore[return-value]

    groups: dict[str, list[Concept]] = {g: [] for g in GROUPS}
    for item in items("methods"):
        groups["methods"].append(
            Concept.of(str(item["name"]), item.get("aliases", ()), bool(item.get("proposed", False)))
        )
    for key in ("datasets", "benchmarks"):
        for item in items(key):
            groups["datasets+benchmarks"].append(Concept.of(str(item["name"]), item.get("aliases", ())))
    for item in items("tasks"):
        groups["tasks"].append(Concept.of(str(item["name"]), item.get("aliases", ())))
    for item in items("links"):
        if item.get("kind") in _REPO_KINDS:
            url = str(item["url"])
            groups["repos"].append(Concept.repo(url, [url]))
    return groups


def _predicted_concepts(pred: PaperConcepts) -> dict[str, list[Concept]]:
    groups: dict[str, list[Concept]] = {g: [] for g in GROUPS}
    for entity in pred.entities:
        group = _GROUP_OF_TYPE[entity.type]
        if group == "repos":
            groups[group].append(Concept.repo(entity.name, [entity.id, entity.name, *entity.aliases]))
        else:
            groups[group].append(Concept.of(entity.name, entity.aliases, entity.proposed))
    return groups


def match_concepts(gold: Sequence[Concept], predicted: Sequence[Concept]) -> list[tuple[int, int]]:
    """Maximum one-to-one pairing of gold and predicted concepts that share a key.

    Args:
        gold: Gold concepts.
        predicted: Predicted concepts.

    Returns:
        ``(gold_index, predicted_index)`` pairs.
    """
    edges = [[j for j, p in enumerate(predicted) if g.keys & p.keys] for g in gold]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(gold)):
        augment(i, set())
    return sorted((i, j) for j, i in owner.items())


def evaluate(gold_path: Path | str, predictions: Sequence[PaperConcepts]) -> EvalReport:
    """Score ``predictions`` against the gold file.

    Args:
        gold_path: Gold JSONL (``id``/``title`` plus methods, datasets, benchmarks, tasks, links).
        predictions: Predicted concepts per paper (extra papers without gold are ignored).

    Returns:
        An :class:`EvalReport` with per-group P/R/F1, proposed-flag accuracy and per-paper errors.

    Raises:
        InputError: The gold file cannot be read.
    """
    records = read_gold(gold_path)
    by_id: dict[str, PaperConcepts] = {}
    by_title: dict[str, PaperConcepts] = {}
    for pred in predictions:
        by_id.setdefault(pred.id, pred)
        by_id.setdefault(pred.id.removeprefix("paper:"), pred)
        by_title.setdefault(_title_key(pred.title), pred)
    groups = {g: GroupScore() for g in GROUPS}
    proposed_correct = proposed_total = matched_papers = 0
    errors = []
    for record in records:
        rid = str(record.get("id", ""))
        pred = by_id.get(rid) or by_id.get("paper:" + rid) or by_title.get(_title_key(str(record["title"])))
        if pred is None:
            # Only papers present in the input are scored (eval on a subset of the gold's corpus);
            # the report's papers.gold vs papers.matched shows any paper the reader lost.
            continue
        matched_papers += 1
        gold_groups = _gold_concepts(record)
        pred_groups = _predicted_concepts(pred)
        paper_errors = PaperErrors(id=rid or str(record.get("idx", "")), title=str(record["title"]))
        for group in GROUPS:
            gold, predicted = gold_groups[group], pred_groups[group]
            pairs = match_concepts(gold, predicted)
            score = groups[group]
            score.tp += len(pairs)
            score.fn += len(gold) - len(pairs)
            score.fp += len(predicted) - len(pairs)
            hit_gold = {i for i, _ in pairs}
            hit_pred = {j for _, j in pairs}
            paper_errors.false_negatives[group] = [g.name for i, g in enumerate(gold) if i not in hit_gold]
            paper_errors.false_positives[group] = [
                p.name for j, p in enumerate(predicted) if j not in hit_pred
            ]
            if group == "methods":
                for i, j in pairs:
                    proposed_total += 1
                    if bool(gold[i].proposed) == bool(predicted[j].proposed):
                        proposed_correct += 1
                    else:
                        flag = "proposed" if gold[i].proposed else "not proposed"
                        paper_errors.proposed_errors.append(f"{gold[i].name} (gold: {flag})")
        errors.append(paper_errors)
    return EvalReport(
        groups=groups,
        proposed_correct=proposed_correct,
        proposed_total=proposed_total,
        papers_gold=len(records),
        papers_matched=matched_papers,
        errors=errors,
    )

