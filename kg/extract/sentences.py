"""Sentence boundaries by rule: fast, and aware of "e.g.", "i.e.", "et al." and decimals.

Example:
    >>> from kg.extract.sentences import split_sentences
    >>> text = "We use PPO, e.g. on Atari. It works."
    >>> [text[a:b] for a, b in split_sentences(text)]
    ['We use PPO, e.g. on Atari.', 'It works.']
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

# A sentence ends at . ! ? followed by space and an upper-case letter, digit or opening
# bracket/quote, or at a blank line (the title/abstract separator). The lookbehinds exclude
# common abbreviations.
_BOUNDARY = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bet al)(?<!\bvs)(?<!\bcf)(?<!\bFig)(?<!\bEq)(?<!\bresp)(?<!\bapprox)"
    r"[.!?][\"')\]]*\s+(?=[A-Z0-9\"'(\[])"
    r"|\n\s*\n|\n"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences.

    Args:
        text: Any string.

    Returns:
        ``(start, end)`` character offsets of each non-empty sentence, without surrounding space.
    """
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start() + (0 if match.group()[0] == "\n" else len(match.group().rstrip()))
        _append(text, start, end, spans)
        start = match.end()
    _append(text, start, len(text), spans)
    return spans


def _append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


@Language.factory("kg_sentences")
class SentenceSplitter:
    """spaCy component: ``doc.user_data["kg_sentences"]`` = list of ``(start, end)`` offsets.

    Offsets are kept as plain data (not ``token.is_sent_start``) because later rules work on
    characters and plain data survives multiprocessing.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data["kg_sentences"] = split_sentences(doc.text)
        return doc
