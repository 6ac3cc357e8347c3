"""Gazetteer matching over the curated resources (spaCy ``PhraseMatcher``).

Names written in lower or title case match case-insensitively (``attr="LOWER"``); names with
inner capitals or digits ("MuJoCo", "GPT-4", "MATH") match case-sensitively, so the dataset MATH
does not fire on "math reasoning". Plural forms are added for every name. Where matches overlap,
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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans


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
        True for "PPO", "MuJoCo", "GPT-4", "MATH"; False for "Transformer", "policy gradient".
    """
    return any(ch.isupper() for ch in form[1:]) or (
        any(ch.isdigit() for ch in form) and len(form) <= 6
    )


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
) -> tuple[PhraseMatcher, PhraseMatcher]:
    """Build the (case-insensitive, case-sensitive) phrase matchers for ``entries``.

    Args:
        nlp: The pipeline whose tokenizer and vocab are used.
        entries: Objects with ``name``, ``type`` and ``aliases`` (e.g. ``ResourceEntry``).
        skip: Lower-cased forms never to match (generic terms).

    Returns:
        Two matchers; the match id of a pattern is the index of its entry in ``entries``.
    """
    skipped = set(skip)
    lower = PhraseMatcher(nlp.vocab, attr="LOWER")
    exact = PhraseMatcher(nlp.vocab, attr="ORTH")
    lower_forms: dict[str, list[str]] = {}
    exact_forms: dict[str, list[str]] = {}
    for index, entry in enumerate(entries):
        key = str(index)
        for form in (entry.name, *entry.aliases):  # type: ignore[attr-defined]
            if len(form) < 2 or form.lower() in skipped:
                continue
            target = exact_forms if case_sensitive(form) else lower_forms
            target.setdefault(key, []).extend(plural_forms(form))
    for forms, matcher in ((lower_forms, lower), (exact_forms, exact)):
        keys = list(forms)
        flat = [f for k in keys for f in forms[k]]
        docs = iter(nlp.tokenizer.pipe(flat))
        for k in keys:
            matcher.add(k, [next(docs) for _ in forms[k]])
    return lower, exact


def match_gazetteer(
    doc: Doc, matchers: tuple[PhraseMatcher, PhraseMatcher], entries: Sequence[object]
) -> list[tuple[int, int, str, str]]:
    """Longest non-overlapping gazetteer matches in ``doc``.

    Args:
        doc: A tokenized document.
        matchers: From :func:`build_matchers`.
        entries: The same entries the matchers were built from.

    Returns:
        ``(start_char, end_char, type, canonical_name)`` in text order.
    """
    spans = []
    for matcher in matchers:
        spans.extend(matcher(doc, as_spans=True))
    found = []
    for span in filter_spans(spans):
        entry = entries[int(span.label_)]
        found.append(
            (span.start_char, span.end_char, _type_value(entry.type), entry.name)  # type: ignore[attr-defined]
        )
    return found


@Language.factory("kg_gazetteer")
class Gazetteer:
    """spaCy component: span group ``kg_gazetteer`` (label = type, kb_id = canonical name).

    Entries are attached after construction with :meth:`set_entries` (they are Python objects,
    not config values).
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.nlp = nlp
        self.entries: Sequence[object] = ()
        self.matchers: tuple[PhraseMatcher, PhraseMatcher] | None = None

    def set_entries(self, entries: Sequence[object], skip: Iterable[str] = ()) -> None:
        """Build the matchers for ``entries`` (called once by the extractor)."""
        self.entries = tuple(entries)
        self.matchers = build_matchers(self.nlp, self.entries, skip)

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        if self.matchers is not None:
            for start, end, type_, canonical in match_gazetteer(doc, self.matchers, self.entries):
                span = doc.char_span(start, end, label=type_, kb_id=canonical)
                if span is not None:
                    spans.append(span)
        doc.spans["kg_gazetteer"] = spans
        return doc
