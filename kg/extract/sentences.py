"""Sentence boundaries by rule: fast, and aware of "e.g.", "i.e.", "et al." and decimals.

Example:
    >>> from kg.extract.sentences import split_sentences
    >>> text = "We use PPO, e.g. on Atari. It works."
    >>> [text[a:b] for a, b in split_sentences(text)]
    ['We use PPO, e.g. on Atari.', 'It works.']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from kg.iterutil import batched

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and an upper-case
# letter, digit or opening bracket/quote, or at a blank line (the title/abstract separator);
# not after abbreviations such as "e.g.", "et al." or an initial.
_NO_BREAK_BEFORE = re.compile(
    r"(?:\be\.g|\bi\.e|\bet al|\bvs|\bcf|\b[Ff]ig|\b[Ee]q|\bresp|\bapprox|\bNo|\bSec|\bTab"
    r"|\b[A-Z])$"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences.

    Args:
        text: Any string.

    Returns:
        ``(start, end)`` character offsets of each non-empty sentence, without surrounding space.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    blank = text.find("\n\n")
    while blank >= 0:
        # Blank lines (the title/abstract separator, paragraph breaks) always end a sentence.
        for part in _split(text, start, blank):
            spans.append(part)
        start = blank + 2
        blank = text.find("\n\n", start)
    spans.extend(_split(text, start, len(text)))
    return spans


def _split(text: str, start: int, stop: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    ends = []
    # str.find per terminator is much faster than a regex scan over every character.
    for mark in ("? ", "! "):
        pos = text.find(mark, start, stop)
        while pos >= 0:
            ends.append(pos)
            pos = text.find(mark, pos + 1, stop)
    # The four terminators that start with a period (". ", ".\n", '." ', ".) ") in one pass
    # over the periods instead of one scan of the text each (half the time of this function).
    last = stop - 1
    pos = text.find(".", start, last) if last > start else -1
    while pos >= 0:
        after = text[pos + 1]
        if after == " " or after == "\n" or (
            (after == '"' or after == ")") and pos + 2 < stop and text[pos + 2] == " "
        ):
            ends.append(pos)
        pos = text.find(".", pos + 1, last)
    if not ends:
        _append(text, start, stop, spans)
        return spans
    ends.sort()
    for pos in ends:
        if pos < start:
            continue
        end = pos + 1
        while end < stop and text[end] in "\"')]":
            end += 1
        nxt = end
        while nxt < stop and text[nxt].isspace():
            nxt += 1
        if nxt >= stop or not (text[nxt].isupper() or text[nxt].isdigit() or text[nxt] in "\"'([\u201c"):
            continue
        if text[pos] == "." and _NO_BREAK_BEFORE.search(text, max(0, pos - 8), pos):
            continue
        _append(text, start, end, spans)
        start = nxt
    _append(text, start, stop, spans)
    return spans


def _append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def doc_text(doc: Doc) -> str:
    """``doc.text``, computed once per document.

    ``Doc.text`` joins every token on each access; the components share one copy through
    ``doc.user_data`` (the extractor removes it at the boundary).
    """
    text = doc.user_data.get("kg_text")
    if text is None:
        text = doc.text
        doc.user_data["kg_text"] = text
    return text


def pipe_in_batches(
    component: Callable[[Doc], Doc], docs: Iterable[Doc], batch_size: int = 128
) -> Iterator[Doc]:
    """Run ``component`` over ``docs`` a batch at a time (what the components' ``pipe`` does).

    ``Language.pipe`` chains the components' ``pipe`` generators; without them each doc goes
    through every component before the next is tokenized. Running one component over a batch
    of docs, then the next, keeps each rule's code and data warm in the CPU caches: measured
    15-20% less CPU time per paper for the whole pipeline than doc by doc.

    Args:
        component: A kg component (modifies the doc and returns it).
        docs: The docs.
        batch_size: Docs per batch.

    Yields:
        The processed docs, in input order.
    """
    for batch in batched(docs, batch_size):
        yield from [component(d) for d in batch]


class BatchedComponent:
    """Base of the kg components: ``pipe`` runs the component's ``__call__`` over a batch of docs
    at a time (:func:`pipe_in_batches`)."""

    def __call__(self, doc: Doc) -> Doc:  # pragma: no cover - every component defines it
        raise NotImplementedError

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Process ``docs`` a batch at a time."""
        return pipe_in_batches(self, docs, batch_size)


@Language.factory("kg_sentences")
class SentenceSplitter(BatchedComponent):
    """spaCy component: ``doc.user_data["kg_sentences"]`` = list of ``(start, end)`` offsets.

    Offsets are kept as plain data (not ``token.is_sent_start``) because later rules work on
    characters and plain data survives multiprocessing.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data["kg_sentences"] = split_sentences(doc_text(doc))
        return doc
