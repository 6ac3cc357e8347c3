"""The extractor: a blank English spaCy pipeline with kg's components, and the Span -> Mention
boundary.

Each paper becomes one ``Doc`` over ``title + "\\n\\n" + abstract`` (one pass instead of two);
offsets are mapped back to the title or the abstract when mentions are built, so
``paper.<field>[start:end] == mention.text`` always holds.

Example:
    >>> from kg.extract import get_extractor
    >>> from kg.models import Paper
    >>> paper = Paper(id="paper:x", title="DPPO: Fine-Tuning Diffusion Policies",
    ...               abstract="We introduce Diffusion Policy Policy Optimization (DPPO).")
    >>> extraction = get_extractor().extract(paper)
    >>> ("DPPO", "Diffusion Policy Policy Optimization") in [
    ...     (a.short, a.long) for a in extraction.abbreviations]
    True
"""

from __future__ import annotations

import multiprocessing
import re
from bisect import bisect_right
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from kg.errors import ExtractionError, KGError
from kg.extract import abbreviations as _abbreviations  # noqa: F401  (registers the factory)
from kg.extract import gazetteer as _gazetteer
from kg.extract import links as _links  # noqa: F401
from kg.extract import patterns as _patterns
from kg.extract import sentences as _sentences  # noqa: F401
from kg.extract.resolve import Candidate, resolve
from kg.models import Abbreviation, EntityType, Extraction, Link, LinkKind, Mention, Paper

PIPELINE = ("kg_sentences", "kg_abbreviations", "kg_gazetteer", "kg_patterns", "kg_links")
"""Component names in pipeline order."""

_SEP = _patterns.TITLE_SEPARATOR


def build_pipeline(entries: Sequence[object], generic: Iterable[str] = ()) -> Language:
    """A blank English pipeline with kg's components; the gazetteer holds ``entries``.

    Args:
        entries: Resource entries (``name``, ``type``, ``aliases``).
        generic: Lower-cased phrases never matched by the gazetteer.

    Returns:
        The ``Language`` object.
    """
    nlp = spacy.blank("en")
    for name in PIPELINE:
        nlp.add_pipe(name)
    gazetteer = nlp.get_pipe("kg_gazetteer")
    assert isinstance(gazetteer, _gazetteer.Gazetteer)
    gazetteer.set_entries(entries, generic)
    return nlp


def _doc_text(title: str, abstract: str) -> str:
    # Newlines inside a title would break the title/abstract split; a space keeps offsets.
    return title.replace("\n", " ").replace("\r", " ") + _SEP + abstract


_LONG_RUN = re.compile(r"\S{%d,}" % 200)


def _tokenizable(text: str) -> str:
    """``text`` with runs of 200+ non-space characters masked (same length, so same offsets).

    spaCy's tokenizer strips affixes from such a run one character at a time, with a suffix
    search over the rest each time: quadratic, minutes for a long garbled blob. The rules still
    see the original text (``doc.user_data["kg_text"]``).
    """
    if len(text) < 200 or max(map(len, text.split()), default=0) < 200:
        return text
    return _LONG_RUN.sub(lambda m: "x" * len(m.group()), text)


class Extractor:
    """Extracts mentions, abbreviations and links from papers.

    Build one with :func:`get_extractor` (cached); the constructor takes resource entries directly
    so that tests can use a small list.

    Args:
        entries: Resource entries for the gazetteer (``kg.resources.ResourceEntry`` or any object
            with ``name``, ``type`` and ``aliases``).
        generic: Lower-cased generic phrases that are never concepts.
    """

    def __init__(
        self, entries: Sequence[object], generic: Iterable[str] = (), broad: Iterable[str] = ()
    ) -> None:
        self.generic = frozenset(g.lower() for g in generic)
        self.broad = frozenset(b.lower() for b in broad)
        self.task_parents = _task_ancestors(entries)
        self.nlp = build_pipeline(entries, self.generic)

    def extract(self, paper: Paper) -> Extraction:
        """Extract one paper.

        Args:
            paper: The paper.

        Returns:
            Its :class:`~kg.models.Extraction`.
        """
        doc = self.nlp(self._make_doc(_doc_text(paper.title, paper.abstract)))
        return self._to_extraction(doc, paper.id, paper.title)

    def extract_many(
        self, papers: Iterable[Paper], workers: int = 1, batch_size: int = 256
    ) -> Iterator[Extraction]:
        """Extract many papers, in input order.

        Args:
            papers: The papers.
            workers: Processes to use (forked workers on platforms with ``fork``, else spaCy's
                ``n_process``); 1 runs in this process.
            batch_size: Texts per batch sent through the pipeline.

        Yields:
            One :class:`~kg.models.Extraction` per paper, in the order of ``papers``.
        """
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            yield from self._extract_forked(papers, int(workers), batch_size)
            return
        meta: list[tuple[str, str]] = []
        n_process = max(1, int(workers))

        def texts() -> Iterator[str | Doc]:
            for paper in papers:
                meta.append((paper.id, paper.title))
                text = _doc_text(paper.title, paper.abstract)
                # In-process, hand over Docs that already know their text (Doc.text re-joins
                # every token); worker processes receive plain strings.
                yield _tokenizable(text) if n_process > 1 else self._make_doc(text)

        docs = self.nlp.pipe(texts(), batch_size=batch_size, n_process=n_process)
        for i, doc in enumerate(docs):
            paper_id, title = meta[i]
            yield self._to_extraction(doc, paper_id, title)

    def _extract_forked(
        self, papers: Iterable[Paper], workers: int, batch_size: int
    ) -> Iterator[Extraction]:
        """Extract chunks of papers in forked worker processes, in input order.

        Why not spaCy's ``n_process``: it ships whole Docs back to the parent, which cost more
        than the extraction itself (measured: 2 processes 0.13x the speed of one). Forked workers
        inherit the loaded pipeline and send back only the small ``Extraction`` records.
        """
        global _FORKED
        _FORKED = self
        iterator = iter(papers)
        chunks = iter(lambda: list(islice(iterator, batch_size)), [])
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for extractions in pool.map(_extract_chunk, chunks):
                yield from extractions

    def extract_text(self, text: str) -> Extraction:
        """Extract free text (no title), e.g. for ``kg related --text``.

        Args:
            text: Any text; mentions refer to it as the ``abstract`` field.

        Returns:
            An :class:`~kg.models.Extraction` with ``paper_id`` ``"text"``.
        """
        doc = self.nlp(self._make_doc(_doc_text("", text)))
        return self._to_extraction(doc, "text", "")

    def _make_doc(self, text: str) -> Doc:
        doc = self.nlp.make_doc(_tokenizable(text))
        doc.user_data["kg_text"] = text
        return doc

    def _to_extraction(self, doc: Doc, paper_id: str, title: str) -> Extraction:
        """The boundary: spaCy spans and user data become plain records.

        Texts are cut from the original title (``title``) and abstract, not from the doc text,
        whose title has its line breaks replaced by spaces.
        """
        text = doc.user_data.pop("kg_text", None) or doc.text
        title_len = len(title)
        original = title + text[title_len:] if title_len else text
        offset = title_len + len(_SEP)
        sentences = [tuple(s) for s in doc.user_data.get("kg_sentences", [])]
        spans = doc.spans

        found = doc.user_data.get("kg_patterns") or {}

        def plain(key: str) -> list[tuple[int, int, str]]:
            return [tuple(item) for item in found.get(key, ())]  # type: ignore[misc]

        gazetteer = doc.user_data.get("kg_gazetteer")
        if gazetteer is None:
            gazetteer = [
                (s.start_char, s.end_char, s.label_, s.kb_id_) for s in spans["kg_gazetteer"]
            ] if "kg_gazetteer" in spans else []
        shorts = spans["kg_abbrv_short"] if "kg_abbrv_short" in spans else []
        longs = spans["kg_abbrv_long"] if "kg_abbrv_long" in spans else []
        abbrevs = [
            (s.start_char, s.end_char, lf.start_char, lf.end_char) for s, lf in zip(shorts, longs)
        ]
        cands = resolve(
            text,
            title_len,
            sentences,
            gazetteer,
            abbrevs,
            plain("names"),
            plain("typed"),
            plain("proposed"),
            [(s, e) for s, e, _ in plain("title_tasks")],
            self.generic,
            [(start, end) for start, end, _, _ in doc.user_data.get("kg_links", [])],
            self.broad,
            self.task_parents,
        )
        sent_starts = [s for s, _ in sentences]
        mentions = []
        for cand in cands:
            mention = _mention(original, cand, title_len, offset, sentences, sent_starts)
            if mention is not None:
                mentions.append(mention)
        seen: set[tuple[str, str]] = set()
        abbreviations = []
        for ss, se, ls, le in abbrevs:
            pair = (original[ss:se], original[ls:le])
            if pair not in seen:
                seen.add(pair)
                abbreviations.append(_construct_abbreviation(pair[0], pair[1]))
        links = []
        for start, end, url, kind in doc.user_data.get("kg_links", []):
            field, s, e = _field(start, end, title_len, offset)
            if field is None:
                continue
            links.append(
                Link.model_construct(
                    url=url, kind=LinkKind(kind), field=field, start=s, end=e,
                    text=original[start:end],
                )
            )
        # Every part was built above from checked values; validating the nested records again
        # would cost more than the whole rule pass.
        return Extraction.model_construct(
            paper_id=paper_id,
            mentions=tuple(mentions),
            abbreviations=tuple(abbreviations),
            links=tuple(links),
        )


def _task_ancestors(entries: Sequence[object]) -> dict[str, frozenset[str]]:
    """Lower-cased canonical task name -> lower-cased names of all its broader tasks."""
    direct: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        type_ = getattr(entry, "type", None)
        found = tuple(p.lower() for p in getattr(entry, "parents", ()) or ())
        if found and str(getattr(type_, "value", type_)) == "task":
            name = str(getattr(entry, "name", "")).lower()
            direct[name] = direct.get(name, ()) + found
    out: dict[str, frozenset[str]] = {}
    for name in direct:
        seen: set[str] = set()
        todo = list(direct[name])
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                todo.extend(direct.get(parent, ()))
        out[name] = frozenset(seen)
    return out


def _field(start: int, end: int, title_len: int, offset: int) -> tuple[str | None, int, int]:
    if end <= title_len:
        return "title", start, end
    if start >= offset:
        return "abstract", start - offset, end - offset
    return None, 0, 0


_ENTITY_TYPES = {member.value: member for member in EntityType}
"""Value -> member: the same members ``EntityType(value)`` returns, without the ``Enum`` call
(unknown values still go through it and raise the same error)."""


def _mention(
    text: str,
    cand: Candidate,
    title_len: int,
    offset: int,
    sentences: Sequence[tuple[int, int]],
    sent_starts: Sequence[int],
) -> Mention | None:
    field, start, end = _field(cand.start, cand.end, title_len, offset)
    if field is None or cand.end <= cand.start:
        return None
    k = bisect_right(sent_starts, cand.start) - 1
    sentence = text[sentences[k][0] : sentences[k][1]] if k >= 0 else ""
    # Fields are built from checked values; skipping validation halves the cost per mention.
    return _construct_mention(
        {
            "text": text[cand.start : cand.end],
            "type": _ENTITY_TYPES.get(cand.type) or EntityType(cand.type),
            "field": field,
            "start": start,
            "end": end,
            "sentence": sentence,
            "rule": cand.rule,
            "proposed": cand.proposed,
            "confidence": cand.confidence,
            "canonical": cand.canonical or None,
        }
    )


_MENTION_FIELDS = (
    "text", "type", "field", "start", "end", "sentence", "rule", "proposed", "confidence",
    "canonical",
)


def _plain_model(cls: type, names: tuple[str, ...]) -> bool:
    """Whether ``model_construct`` of ``cls`` only stores the given fields (no aliases, hooks)."""
    fields = getattr(cls, "__pydantic_fields__", None)
    return (
        fields is not None
        and tuple(fields) == names
        and not getattr(cls, "__pydantic_post_init__", None)
        and not getattr(cls, "__pydantic_root_model__", False)
        and cls.model_config.get("extra") != "allow"
        and all(f.alias is None and f.validation_alias is None for f in fields.values())
    )


_FAST_MENTION = _plain_model(Mention, _MENTION_FIELDS)
_FAST_ABBREVIATION = _plain_model(Abbreviation, ("short", "long"))
_set = object.__setattr__


def _construct(cls: type, values: dict) -> object:
    """``cls.model_construct(**values)`` for a plain model and a dict of all its fields in
    declaration order (check with :func:`_plain_model` first).

    The same object state (``__dict__``, fields set, no extra, no private), without the per-field
    alias and default bookkeeping, which cost more than the rest of building a mention.
    """
    record = cls.__new__(cls)
    _set(record, "__dict__", values)
    _set(record, "__pydantic_fields_set__", set(values))
    _set(record, "__pydantic_extra__", None)
    _set(record, "__pydantic_private__", None)
    return record


def _construct_mention(values: dict) -> Mention:
    """``Mention.model_construct(**values)`` for a dict of all fields in declaration order."""
    if not _FAST_MENTION:
        return Mention.model_construct(**values)
    return _construct(Mention, values)  # type: ignore[return-value]


def _construct_abbreviation(short: str, long: str) -> Abbreviation:
    """``Abbreviation.model_construct(short=short, long=long)``, the fast way when possible."""
    if not _FAST_ABBREVIATION:
        return Abbreviation.model_construct(short=short, long=long)
    return _construct(Abbreviation, {"short": short, "long": long})  # type: ignore[return-value]


@lru_cache(maxsize=8)
def _cached(resources: tuple[str, ...]) -> Extractor:
    from kg.resources import broad_terms, generic_terms, load_resources

    try:
        entries = load_resources([Path(p) for p in resources])
        generic = generic_terms()
        broad = broad_terms()
    except KGError:
        raise
    except OSError as exc:
        raise ExtractionError(
            f"cannot load the extractor resources ({exc}) — reinstall kg or check --resource files"
        ) from None
    return Extractor(entries, generic, broad)


def get_extractor(resources: Sequence[Path | str] = ()) -> Extractor:
    """The extractor for the shipped resources plus optional user resource files (cached).

    Args:
        resources: User resource files (JSONL or CSV, see ``kg.resources``).

    Returns:
        A ready :class:`Extractor`; the same object for the same resource files.

    Raises:
        InputError: A resource file is missing or invalid.
        ExtractionError: The shipped resources cannot be read.
    """
    return _cached(tuple(str(p) for p in resources))


_FORKED: Extractor | None = None
"""The extractor forked workers inherit (set by :meth:`Extractor._extract_forked`)."""


def _extract_chunk(papers: list[Paper]) -> list[Extraction]:
    assert _FORKED is not None, "worker started without a forked extractor"
    return list(_FORKED.extract_many(papers, workers=1))
