"""The extractor: a blank English spaCy pipeline with kg's components, and the boundary where
their plain results in ``doc.user_data`` become Mention records.

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

import gc
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

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
from kg.iterutil import batched
from kg.parallel import can_fork, fork_map
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
    if len(text) < 200:
        return text
    # A space in every 100 characters rules out a 200-character run (one str.find per block,
    # far cheaper than splitting the text); otherwise check exactly.
    for block in range(0, len(text), 100):
        if text.find(" ", block, block + 100) < 0:
            break
    else:
        return text
    if max(map(len, text.split()), default=0) < 200:
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
        self.collection_types = _collection_types(entries)
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
        if workers > 1 and can_fork():
            yield from self._extract_forked(papers, int(workers), batch_size)
            return
        if workers > 1:
            yield from self._extract_spacy_processes(papers, int(workers), batch_size)
            return
        items = ((paper.id, paper.title, paper.abstract) for paper in papers)
        for row in self._rows(items, batch_size):
            yield _record(row)

    def extract_many_json(
        self, papers: Iterable[Paper], workers: int = 1, batch_size: int = 256
    ) -> Iterator[tuple[str, str]]:
        """:meth:`extract_many` as ``(paper id, Extraction JSON)``, for callers that store it.

        The JSON is ``Extraction.model_dump_json()`` of the same records; with forked workers
        they build the records and their JSON too, so this process only receives strings (a
        100k-paper build spent about 130 us per paper here building and dumping them).

        Args:
            papers: The papers.
            workers: Processes to use, as in :meth:`extract_many`.
            batch_size: Texts per batch sent through the pipeline.

        Yields:
            One ``(paper id, JSON)`` per paper, in the order of ``papers``.
        """
        if workers > 1 and can_fork():
            yield from self._extract_forked(
                papers, int(workers), batch_size,
                finish=lambda row: (row[0], _record(row).model_dump_json()))
            return
        for ext in self.extract_many(papers, workers, batch_size):
            yield ext.paper_id, ext.model_dump_json()

    def _rows(self, items: Iterable[tuple[str, str, str]], batch_size: int) -> Iterator[_Row]:
        """Plain rows of ``(id, title, abstract)`` items, in this process, in input order."""
        meta: list[tuple[str, str]] = []

        def docs() -> Iterator[Doc]:
            for paper_id, title, abstract in items:
                meta.append((paper_id, title))
                # Docs that already know their text (``Doc.text`` re-joins every token).
                yield self._make_doc(_doc_text(title, abstract))

        for i, doc in enumerate(self.nlp.pipe(docs(), batch_size=batch_size)):
            paper_id, title = meta[i]
            meta[i] = ("", "")
            yield self._to_row(doc, paper_id, title)

    def _extract_spacy_processes(
        self, papers: Iterable[Paper], workers: int, batch_size: int
    ) -> Iterator[Extraction]:
        """spaCy's ``n_process`` (platforms without ``fork``): worker processes get strings."""
        meta: list[tuple[str, str]] = []

        def texts() -> Iterator[str]:
            for paper in papers:
                meta.append((paper.id, paper.title))
                yield _tokenizable(_doc_text(paper.title, paper.abstract))

        docs = self.nlp.pipe(texts(), batch_size=batch_size, n_process=workers)
        for i, doc in enumerate(docs):
            paper_id, title = meta[i]
            yield self._to_extraction(doc, paper_id, title)

    def _extract_forked(
        self, papers: Iterable[Paper], workers: int, batch_size: int,
        finish: Callable[[_Row], Any] | None = None,
    ) -> Iterator[Any]:
        """Extract chunks of papers in forked worker processes, in input order.

        Why not spaCy's ``n_process``: it ships whole Docs back to the parent, which cost more
        than the extraction itself (measured: 2 processes 0.13x the speed of one). Forked workers
        inherit the loaded pipeline, receive ``(id, title, abstract)`` tuples and send back plain
        rows (dicts, tuples, strings), or ``finish`` of each row: unpickling pydantic records
        cost the parent more than building them from rows (measured 71 vs 7 us per paper to
        unpickle), so without ``finish`` the parent builds the records. A few chunks are in
        flight at a time, so input is read lazily and the parent works while the workers
        extract.
        """
        chunks = batched(((paper.id, paper.title, paper.abstract) for paper in papers),
                         max(1, min(batch_size, _CHUNK)))

        def chunk_rows(items: list[tuple[str, str, str]]) -> list[Any]:
            rows = self._rows(items, len(items))
            return list(rows) if finish is None else [finish(row) for row in rows]

        for rows in fork_map(chunk_rows, chunks, workers):
            yield from (rows if finish is not None else map(_record, rows))

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
        """The boundary: the components' user data become records.

        Texts are cut from the original title (``title``) and abstract, not from the doc text,
        whose title has its line breaks replaced by spaces.
        """
        return _record(self._to_row(doc, paper_id, title))

    def _to_row(self, doc: Doc, paper_id: str, title: str) -> _Row:
        """What :meth:`_to_extraction` returns, as plain values (cheap to send between processes)."""
        text = doc.user_data.pop("kg_text", None) or doc.text
        title_len = len(title)
        original = title + text[title_len:] if title_len else text
        offset = title_len + len(_SEP)
        sentences = [tuple(s) for s in doc.user_data.get("kg_sentences", [])]
        found = doc.user_data.get("kg_patterns") or {}

        def plain(key: str) -> list[tuple[int, int, str]]:
            return [tuple(item) for item in found.get(key, ())]  # type: ignore[misc]

        gazetteer = doc.user_data.get("kg_gazetteer") or []
        abbrevs = doc.user_data.get("kg_abbreviations") or []
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
            self.collection_types,
        )
        mentions = _mention_values(original, cands, title_len, offset, sentences)
        seen: set[tuple[str, str]] = set()
        abbreviations = []
        for ss, se, ls, le in abbrevs:
            pair = (original[ss:se], original[ls:le])
            if pair not in seen:
                seen.add(pair)
                abbreviations.append(pair)
        links = []
        for start, end, url, kind in doc.user_data.get("kg_links", []):
            field, s, e = _field(start, end, title_len, offset)
            if field is None:
                continue
            links.append(
                {"url": url, "kind": _LINK_KINDS.get(kind) or LinkKind(kind), "field": field,
                 "start": s, "end": e, "text": original[start:end]}
            )
        return paper_id, mentions, abbreviations, links


_Row = tuple[str, list[dict], list[tuple[str, str]], list[dict]]
"""An extraction as plain values: paper id, mention field dicts, (short, long) pairs, link field
dicts (fields in declaration order)."""


def _record(row: _Row) -> Extraction:
    """The :class:`~kg.models.Extraction` of a plain row.

    Every part was built from checked values; validating the nested records again would cost more
    than the whole rule pass, so the records are constructed without validation.
    """
    paper_id, mentions, abbreviations, links = row
    values = {
        "paper_id": paper_id,
        "mentions": tuple(_construct_mention(v) for v in mentions),
        "abbreviations": tuple(_construct_abbreviation({"short": short, "long": long})
                               for short, long in abbreviations),
        "links": tuple(_construct_link(v) for v in links),
    }
    return _construct_extraction(values)  # type: ignore[no-any-return]


def _collection_types(entries: Sequence[object]) -> dict[str, str]:
    """Lower-cased name and aliases of every known dataset and benchmark -> its type."""
    out: dict[str, str] = {}
    for entry in entries:
        value = _gazetteer._type_value(getattr(entry, "type", None))
        if value in ("dataset", "benchmark"):
            for form in (getattr(entry, "name", ""), *(getattr(entry, "aliases", ()) or ())):
                out.setdefault(str(form).lower(), value)
    return out


def _task_ancestors(entries: Sequence[object]) -> dict[str, frozenset[str]]:
    """Lower-cased canonical task name -> lower-cased names of all its broader tasks."""
    direct: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        found = tuple(p.lower() for p in getattr(entry, "parents", ()) or ())
        if found and _gazetteer._type_value(getattr(entry, "type", None)) == "task":
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


_LINK_KINDS = {member.value: member for member in LinkKind}


def _mention_values(
    text: str,
    cands: Sequence[Candidate],
    title_len: int,
    offset: int,
    sentences: Sequence[tuple[int, int]],
) -> list[dict]:
    """The field values of the :class:`~kg.models.Mention` of each candidate (declaration
    order), leaving out empty candidates and those in the separator between title and abstract.

    Mentions of one sentence share one sentence string (less to build, and to pickle between
    processes).
    """
    sent_starts = [s for s, _ in sentences]
    sentence_texts: dict[int, str] = {}
    out = []
    for cand in cands:
        start, end, type_, rule, confidence, canonical, proposed = cand
        if end <= start:
            continue
        if end <= title_len:
            field, field_start, field_end = "title", start, end
        elif start >= offset:
            field, field_start, field_end = "abstract", start - offset, end - offset
        else:
            continue
        k = bisect_right(sent_starts, start) - 1
        sentence = sentence_texts.get(k)
        if sentence is None:
            sentence = text[sentences[k][0] : sentences[k][1]] if k >= 0 else ""
            sentence_texts[k] = sentence
        out.append({
            "text": text[start:end],
            "type": _ENTITY_TYPES.get(type_) or EntityType(type_),
            "field": field,
            "start": field_start,
            "end": field_end,
            "sentence": sentence,
            "rule": rule,
            "proposed": proposed,
            "confidence": confidence,
            "canonical": canonical or None,
        })
    return out


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


_set = object.__setattr__


def _shared_fields_set(cls: type, names: tuple[str, ...]) -> set[str] | None:
    """One "fields set" for every record of ``cls`` built here, or None if it cannot be shared.

    Every record built by :func:`_constructor` has all its fields set, so all hold equal sets.
    Sharing one is safe for a frozen model: pydantic never changes the set of one in place
    (assignment is refused; ``model_copy`` copies the set before adding to it). A set of ten
    names takes 728 bytes, more than the rest of a mention, and each set is one more object
    for every garbage collection to traverse while the records are kept.
    """
    config = getattr(cls, "model_config", {})
    if not config.get("frozen") or config.get("validate_assignment"):
        return None
    return set(names)


def _constructor(cls: type, names: tuple[str, ...]) -> Callable[[dict], Any]:
    """``lambda values: cls.model_construct(**values)`` for a dict of all the fields ``names``
    of ``cls`` in declaration order, the fast way when ``cls`` is a plain model.

    The fast way sets the same object state (``__dict__``, fields set, no extra, no private)
    without the per-field alias and default bookkeeping, which cost more than the rest of
    building a mention; the fields set is shared when it can be (:func:`_shared_fields_set`).
    """
    if not _plain_model(cls, names):
        return lambda values: cls.model_construct(**values)  # type: ignore[attr-defined]
    shared = _shared_fields_set(cls, names)
    new = cls.__new__

    def construct(values: dict) -> Any:
        record = new(cls)
        _set(record, "__dict__", values)
        _set(record, "__pydantic_fields_set__", set(values) if shared is None else shared)
        _set(record, "__pydantic_extra__", None)
        _set(record, "__pydantic_private__", None)
        return record

    return construct


_construct_mention = _constructor(Mention, _MENTION_FIELDS)
_construct_link = _constructor(Link, ("url", "kind", "field", "start", "end", "text"))
_construct_abbreviation = _constructor(Abbreviation, ("short", "long"))
_construct_extraction = _constructor(
    Extraction, ("paper_id", "mentions", "abbreviations", "links")
)


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
    extractor = Extractor(entries, generic, broad)
    # The pipeline and its resources (about 180,000 Python objects) live as long as the process:
    # moved to the permanent generation, they are no longer traversed by every full garbage
    # collection, which cost 127 us per paper (one collection per 2,000 papers of results kept
    # in memory, measured). Only cyclic garbage among objects alive now is never collected.
    gc.freeze()
    return extractor


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


_CHUNK = 64
"""Papers per task sent to a forked worker (small chunks keep both workers busy to the end)."""
