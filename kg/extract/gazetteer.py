"""Gazetteer matching over the curated resources (spaCy ``PhraseMatcher``).

Names written in lower or title case match case-insensitively (``attr="LOWER"``); names with
inner capitals or digits ("MuJoCo", "GPT-4", "MATH") must match with their case, so the dataset
MATH does not fire on "math reasoning". Plural forms are added for every name. Where matches overlap,
the longest wins.

Example:
    >>> import spacy
    >>> from kg.extract.gazetteer import GazetteerEntry, build_matchers, match_gazetteer
    >>> nlp = spacy.blank("en")
    >>> entries = [GazetteerEntry("Proximal Policy Optimization", "method", ("PPO",))]
    >>> matchers = build_matchers(nlp, entries)
    >>> doc = nlp("We fine-tune with proximal policy optimization and PPO.")
    >>> [(doc.text[s:e], t) for s, e, t, _ in match_gazetteer(doc, matchers, entries)]
    [('proximal policy optimization', 'method'), ('PPO', 'method')]
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from kg.extract.sentences import BatchedComponent, doc_text


@dataclass(frozen=True)
class GazetteerEntry:
    """What the gazetteer needs of a resource entry (``kg.resources.ResourceEntry`` fits)."""

    name: str
    type: str
    aliases: tuple[str, ...] = ()


def case_sensitive(form: str) -> bool:
    """Whether a surface form must match with its case (acronyms, CamelCase, digits).

    Args:
        form: A name or alias.

    Returns:
        True for "PPO", "MuJoCo", "GPT-4", "MATH"; False for "Transformer", "policy gradient" and
        multi-word names such as "DeepMind Control Suite".
    """
    if " " in form:
        # Multi-word names are specific enough in any case ("Deepmind control suite").
        return False
    for word in form.split("-"):
        if any(ch.isupper() for ch in word[1:]):
            return True
    return any(ch.isdigit() for ch in form) and len(form) <= 6


def plural_forms(form: str) -> tuple[str, ...]:
    """The form and its regular English plural ("model" -> "models", "policy" -> "policies").

    Args:
        form: A name or alias.

    Returns:
        The form followed by its plural when one applies.
    """
    last = form[-1:]
    if not last.isalpha() or form.endswith(("s", "x", "ch", "sh")):
        return (form,)
    if last.isupper():
        return (form, form + "s")
    if form.endswith("y") and len(form) > 2 and form[-2] not in "aeiou":
        return (form, form[:-1] + "ies")
    return (form, form + "s")


def _type_value(entry_type: object) -> str:
    return str(getattr(entry_type, "value", entry_type))


def build_matchers(
    nlp: Language, entries: Sequence[object], skip: Iterable[str] = ()
) -> tuple[PhraseMatcher, dict[str, frozenset[str]]]:
    """Build the phrase matcher for ``entries``.

    One ``LOWER`` matcher holds every form (one pass over the text); forms that must match with
    their case are listed per entry so that :func:`match_gazetteer` can check them.

    Args:
        nlp: The pipeline whose vocab is used.
        entries: Objects with ``name``, ``type`` and ``aliases`` (e.g. ``ResourceEntry``).
        skip: Lower-cased forms never to match (generic terms).

    Returns:
        The matcher (match id = index of the entry in ``entries``) and, per match id, the
        case-sensitive forms and the lower-cased forms that may match in any case.
    """
    skipped = set(skip)
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    forms_of: dict[str, list[str]] = {}
    allowed: dict[str, set[str]] = {}
    for index, entry in enumerate(entries):
        key = str(index)
        for form in (entry.name, *entry.aliases):  # type: ignore[attr-defined]
            if len(form) < 2 or form.lower() in skipped or "(" in form or ")" in form:
                # A parenthesis in a resource name ("offline reinforcement learning (RL)") is
                # an abbreviation definition, which the abbreviation rule handles.
                continue
            sensitive = case_sensitive(form)
            for variant in plural_forms(form):
                forms_of.setdefault(key, []).append(variant)
                allowed.setdefault(key, set()).add(variant if sensitive else "\0" + variant.lower())
                if sensitive and variant[:1].islower():
                    # "meta-RL" starts a sentence or a title word as "Meta-RL".
                    allowed[key].add(variant[:1].upper() + variant[1:])
    keys = list(forms_of)
    # The matcher compares LOWER hashes: each pattern is given as its tokens' hashes (what
    # PhraseMatcher makes of a Doc), from the tokens of the form (cached, see pattern_tokens).
    strings = nlp.vocab.strings
    tokens = iter(pattern_tokens(nlp.lang, [f for k in keys for f in forms_of[k]]))
    for k in keys:
        matcher.add(k, [[strings.add(word.lower()) for word in next(tokens)]
                        for _ in forms_of[k]])
    return matcher, {k: frozenset(v) for k, v in allowed.items()}


_TOKENS_FORMAT = 1  # of the cache files below


def cache_dir() -> Path:
    """Where kg keeps files it can always make again: ``$KG_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/kg``, else ``~/.cache/kg``."""
    if os.environ.get("KG_CACHE_DIR"):
        return Path(os.environ["KG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kg"


def pattern_tokens(lang: str, forms: Sequence[str]) -> list[list[str]]:
    """The token texts of each form, as spaCy's default tokenizer for ``lang`` splits them.

    Tokenizing the ~26,000 resource forms into Docs takes about a second of an extractor's
    start-up and gives the same result every time for the same spaCy version: the splits are
    cached in :func:`cache_dir` under a key made of the spaCy version, the language and the
    forms. A missing, damaged or stale file only makes the start slower; an unwritable cache
    directory is skipped.
    """
    digest = hashlib.sha256()
    for part in (str(_TOKENS_FORMAT), spacy.__version__, lang, *forms):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    path = cache_dir() / f"pattern-tokens-{digest.hexdigest()[:32]}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, list) and len(cached) == len(forms):
            return cached
    except (OSError, ValueError):
        pass
    # A separate tokenizer (same rules) tokenizes the patterns: filling the pipeline tokenizer's
    # cache with tens of thousands of pattern strings makes it several times slower.
    tokenizer = spacy.blank(lang).tokenizer
    split = [[token.text for token in doc] for doc in tokenizer.pipe(forms)]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                         suffix=".tmp", delete=False) as tmp:
            json.dump(split, tmp, ensure_ascii=False)
        os.replace(tmp.name, path)  # whole files only, even with builds running side by side
    except OSError:
        pass
    return split


def match_gazetteer(
    doc: Doc,
    matcher: tuple[PhraseMatcher, dict[str, frozenset[str]]],
    entries: Sequence[object],
    text: str | None = None,
) -> list[tuple[int, int, str, str]]:
    """Longest non-overlapping gazetteer matches in ``doc``.

    Args:
        doc: A tokenized document.
        matcher: From :func:`build_matchers`.
        entries: The same entries the matcher was built from.
        text: ``doc.text`` if already known.

    Returns:
        ``(start_char, end_char, type, canonical_name)`` in text order.
    """
    return _matches(doc, matcher, entries, text)


_Lookup = dict[int, tuple[frozenset[str], int, str, str]]


def _lookup(
    doc: Doc, allowed: dict[str, frozenset[str]], entries: Sequence[object]
) -> _Lookup:
    """Match id (string hash of the key) -> (allowed forms, entry index, type, canonical name)."""
    strings = doc.vocab.strings
    return {
        strings.add(key): (forms, int(key), _type_value(entries[int(key)].type),  # type: ignore[attr-defined]
                           entries[int(key)].name)  # type: ignore[attr-defined]
        for key, forms in allowed.items()
    }


def _matches(
    doc: Doc,
    matcher: tuple[PhraseMatcher, dict[str, frozenset[str]]],
    entries: Sequence[object],
    text: str | None,
    lookup: _Lookup | None = None,
) -> list[tuple[int, int, str, str]]:
    """Kept matches as ``(start_char, end_char, type, canonical)``, in text order.

    ``lookup`` (from :func:`_lookup`, built once by the component) saves a string-store look-up,
    a key conversion and an entry's attribute reads per match.
    """
    phrase_matcher, allowed = matcher
    matches = phrase_matcher(doc)
    if not matches:
        return []
    if text is None:
        text = doc.text
    if lookup is None:
        lookup = _lookup(doc, allowed, entries)
    hits = []
    for match_id, start, end in matches:
        s_char = doc[start].idx
        last = doc[end - 1]
        e_char = last.idx + len(last)
        ok, index, type_, canonical = lookup[match_id]
        surface = text[s_char:e_char]
        if surface in ok or "\0" + surface.lower() in ok:
            # Sorted as tuples: longest first; among equal lengths the earlier entry (curated
            # before derived) wins, then the earlier position.
            hits.append((s_char - e_char, index, s_char, e_char, type_, canonical))
    hits.sort()
    taken = bytearray(len(text))
    found = []
    for _, _, s_char, e_char, type_, canonical in hits:
        if taken.find(1, s_char, e_char) >= 0:
            continue
        taken[s_char:e_char] = b"\x01" * (e_char - s_char)
        found.append((s_char, e_char, type_, canonical))
    found.sort()
    return found


@Language.factory("kg_gazetteer")
class Gazetteer(BatchedComponent):
    """spaCy component: ``doc.user_data["kg_gazetteer"]`` = list of ``(start_char, end_char,
    type, canonical_name)`` (see :func:`match_gazetteer`).

    Plain tuples, not a span group: building a ``Span`` per match and a ``SpanGroup`` per doc
    cost more than the matching (and plain data survives multiprocessing). Entries are attached
    after construction with :meth:`set_entries` (they are Python objects, not config values).
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.nlp = nlp
        self.entries: Sequence[object] = ()
        self.matchers: tuple[PhraseMatcher, dict[str, frozenset[str]]] | None = None
        self.lookup: _Lookup = {}

    def set_entries(self, entries: Sequence[object], skip: Iterable[str] = ()) -> None:
        """Build the matchers for ``entries`` (called once by the extractor)."""
        self.entries = tuple(entries)
        self.matchers = build_matchers(self.nlp, self.entries, skip)
        self.lookup = _lookup(self.nlp.make_doc(""), self.matchers[1], self.entries)

    def __call__(self, doc: Doc) -> Doc:
        found = []
        if self.matchers is not None:
            found = _matches(doc, self.matchers, self.entries, doc_text(doc), self.lookup)
        doc.user_data["kg_gazetteer"] = found
        return doc
