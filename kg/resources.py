"""Curated resources: known ML methods, datasets, benchmarks and tasks with their aliases.

The default resources are JSONL data files shipped in ``kg/data/`` (one :class:`ResourceEntry`
per line, built by ``scripts/build_resources.py``; see ``kg/data/README.md`` for provenance and
licences). The extractor turns them into a gazetteer and the canonicalizer into an alias index.
Users can add their own entries with JSONL or CSV files (``kg extract --resource FILE``).

No spaCy here: this module only reads and validates data.

Example:
    >>> from kg.resources import load_resources, generic_terms
    >>> ppo = [e for e in load_resources() if e.name == "Proximal Policy Optimization"][0]
    >>> "PPO" in ppo.aliases
    True
    >>> "our method" in generic_terms()
    True
    >>> from kg.resources import broad_terms
    >>> "imitation learning" in broad_terms()
    True
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from kg.errors import InputError
from kg.jsonlines import json_objects
from kg.models import EntityType

DATA_DIR = Path(__file__).parent / "data"
"""Folder of the shipped data files."""

RESOURCE_FILES: dict[EntityType, str] = {
    EntityType.METHOD: "methods.jsonl",
    EntityType.DATASET: "datasets.jsonl",
    EntityType.BENCHMARK: "benchmarks.jsonl",
    EntityType.TASK: "tasks.jsonl",
}
"""The shipped resource file of each concept type (built from ``curated.jsonl`` + external data)."""

GENERIC_FILE = "generic.txt"
BROAD_FILE = "broad.txt"

_SPACE = re.compile(r"\s+")
_KEY_SEP = re.compile(r"[\s\-_/]+")
_KEY_DROP = re.compile(r"[^\w\s+]")


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def lookup_key(text: str) -> str:
    """Lenient lookup key of a name: case, hyphens, underscores, punctuation and plural -s ignored.

    Used to detect duplicate names and by consumers that want the same lenient matching as the
    evaluation ("Diffusion-Policies" and "diffusion policy" share a key).

    Args:
        text: A name or alias.

    Returns:
        The key, e.g. ``"large language model"`` for ``"Large Language Models"``.
    """
    words = _KEY_SEP.sub(" ", text.casefold())
    words = _KEY_DROP.sub("", words).split()
    if words:
        last = words[-1]
        if len(last) > 4 and last.endswith("ies"):
            words[-1] = last[:-3] + "y"
        elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
            words[-1] = last[:-1]
    return " ".join(words)


class ResourceEntry(BaseModel):
    """One known concept: canonical name, type, aliases, where it comes from, broader concepts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()
    source: str = "curated"
    parents: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _name_not_empty(cls, value: str) -> str:
        value = _clean(value)
        if not value:
            raise ValueError("name must not be empty")
        return value

    @field_validator("type")
    @classmethod
    def _not_repo(cls, value: EntityType) -> EntityType:
        if value is EntityType.REPO:
            raise ValueError("type 'repo' is not a resource type (use method, dataset, benchmark or task)")
        return value

    @field_validator("aliases", "parents")
    @classmethod
    def _dedupe(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for value in values:
            value = _clean(value)
            if value:
                seen.setdefault(value, None)
        return tuple(seen)

    def surface_forms(self) -> tuple[str, ...]:
        """The name followed by the aliases that differ from it."""
        return (self.name, *(a for a in self.aliases if a != self.name))


def _format_validation(error: ValidationError) -> str:
    parts = []
    for err in error.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f'field "{loc}": {err["msg"]}')
    return "; ".join(parts)


def _read_jsonl(path: Path) -> Iterable[ResourceEntry]:
    hint = 'each line must be a JSON object like {"name": "PPO", "type": "method", "aliases": []}'
    for lineno, record in json_objects(path, hint):
        if "type" not in record:
            raise InputError(
                f'{path}:{lineno}: field "type" is missing — add "type": one of method, '
                "dataset, benchmark, task"
            )
        if isinstance(record.get("aliases"), str):
            raise InputError(
                f'{path}:{lineno}: field "aliases" must be a list of strings — '
                'write ["alias1", "alias2"]'
            )
        try:
            yield ResourceEntry.model_validate(record)
        except ValidationError as exc:
            raise InputError(f"{path}:{lineno}: {_format_validation(exc)} — fix the line") from None


def _read_csv(path: Path) -> Iterable[ResourceEntry]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        columns = [h.strip().lower() for h in header]
        if "name" not in columns or "type" not in columns:
            raise InputError(
                f"{path}:1: CSV header must contain name,type (and optionally aliases) — "
                "write the header line name,type,aliases"
            )
        unknown = set(columns) - {"name", "type", "aliases", "source", "parents"}
        if unknown:
            raise InputError(
                f"{path}:1: unknown CSV column(s) {', '.join(sorted(unknown))} — "
                "allowed: name,type,aliases,source,parents"
            )
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise InputError(
                    f"{path}:{lineno}: expected {len(columns)} columns, got {len(row)} — "
                    'quote values that contain commas and separate aliases with "|"'
                )
            cells = dict(zip(columns, row))
            record: dict[str, object] = {"name": cells["name"], "type": cells["type"].strip().lower()}
            for field in ("aliases", "parents"):
                if cells.get(field, "").strip():
                    record[field] = tuple(a for a in cells[field].split("|") if a.strip())
            if cells.get("source", "").strip():
                record["source"] = cells["source"].strip()
            try:
                yield ResourceEntry.model_validate(record)
            except ValidationError as exc:
                raise InputError(f"{path}:{lineno}: {_format_validation(exc)} — fix the row") from None


def read_resource_file(path: Path | str) -> tuple[ResourceEntry, ...]:
    """Read a user resource file (JSONL, or CSV with header ``name,type,aliases``).

    The format is chosen by the suffix: ``.csv`` is CSV (aliases separated by ``|``), anything
    else is JSONL with the fields of :class:`ResourceEntry` (``type`` required).

    Args:
        path: The file to read.

    Returns:
        The entries in file order.

    Raises:
        InputError: The file cannot be read or a line is invalid (message names file:line).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: resource file not found — check the path given to --resource")
    try:
        if path.suffix.lower() == ".csv":
            return tuple(_read_csv(path))
        return tuple(_read_jsonl(path))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}) — save the file as UTF-8") from None


@lru_cache(maxsize=1)
def _default_resources() -> tuple[ResourceEntry, ...]:
    entries: list[ResourceEntry] = []
    for type_, filename in RESOURCE_FILES.items():
        path = DATA_DIR / filename
        for entry in read_resource_file(path):
            if entry.type is not type_:
                raise InputError(f"{path}: entry {entry.name!r} has type {entry.type.value} — rebuild")
            entries.append(entry)
    return tuple(entries)


def load_resources(extra: Sequence[Path | str] = ()) -> tuple[ResourceEntry, ...]:
    """Load the shipped resources plus optional user resource files.

    User entries come after the shipped ones. A user entry with the same type and lookup key as a
    shipped entry replaces it (so users can fix a name, its aliases or its type's spelling).

    Args:
        extra: User resource files (JSONL or CSV, see :func:`read_resource_file`).

    Returns:
        All entries; the default set is read once and cached.

    Raises:
        InputError: A user file is missing or invalid (message names file:line and the fix).
    """
    default = _default_resources()
    if not extra:
        return default
    user: list[ResourceEntry] = []
    for path in extra:
        user.extend(read_resource_file(path))
    replaced = {(e.type, lookup_key(e.name)) for e in user}
    kept = [e for e in default if (e.type, lookup_key(e.name)) not in replaced]
    return (*kept, *user)


def _read_terms(filename: str) -> frozenset[str]:
    terms = set()
    for line in (DATA_DIR / filename).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            terms.add(_clean(line).lower())
    return frozenset(terms)


@lru_cache(maxsize=1)
def generic_terms() -> frozenset[str]:
    """Lower-cased generic phrases that are never concepts ("our method", "policy", "MDP", ...).

    Returns:
        The phrases of ``kg/data/generic.txt`` (comments and blank lines skipped), lower-cased.
    """
    return _read_terms(GENERIC_FILE)


@lru_cache(maxsize=1)
def broad_terms() -> frozenset[str]:
    """Lower-cased broad research areas ("deep reinforcement learning", "imitation learning").

    They are valid task names, but the annotation guidelines prefer the specific phrase, so a
    consumer should keep them only when they are central to a paper (e.g. in its title) and no more
    specific task was found. Some have resource entries (so they canonicalize), some do not.

    Returns:
        The phrases of ``kg/data/broad.txt``, lower-cased.
    """
    return _read_terms(BROAD_FILE)
