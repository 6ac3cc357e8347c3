"""Reader for a Hugging Face papers page saved as text: title line, abstract line, repeated.

The page chrome (``Get trending papers in your email inbox!``, ``Subscribe``, ``Upvote``, counts,
``· 5 authors``, navigation) is dropped line by line, including button labels glued to the next
title (``SubscribeLanguage-Conditioned ...``). Titles and abstracts then alternate; a missing
abstract or title is recognised from the shape of the lines (titles are short single sentences,
abstracts long multi-sentence paragraphs) so one gap does not shift every later pair.

Example:
    >>> text = "Get trending papers in your email inbox!\\nSubscribePPO\\nWe study PPO. It works."
    >>> [r.fields["title"][1] for r in read_hf_text(text, "page.txt")]
    ['PPO']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kg.readers._common import Item, RawRecord

# Whole lines that are page chrome (compared case-insensitively after stripping).
_CHROME_LINE = re.compile(
    r"""(?ix)^(?:
        get\ trending\ papers\ in\ your\ email\ inbox.*
      | subscribe | unsubscribe | submit(?:\ a\ paper)? | upvote | upvoted | log\ ?in | sign\ ?up
      | hugging\ ?face | models | datasets | spaces | posts | docs | enterprise | pricing | community
      | (?:daily|trending)\ papers | papers | collections | search(?:\ papers)?(?:\.\.\.|…)?
      | by\ ak\ and\ the\ research\ community | load\ more | show\ more | previous | next | more
      | view\ (?:arxiv\ page|pdf) | arxiv\ page | pdf | github | add\ to\ collection | copy\ link
      | join\ the\ discussion | comments? | cite | share | models\ citing\ this\ paper.*
      | datasets\ citing\ this\ paper.* | spaces\ citing\ this\ paper.* | collections\ including.*
      | submitted\ by\ .* | published\ on\ .* | \W*\d+\ authors? | \#\d+ | [\d.,]+\s*[km]?
      | \d+\ (?:comments?|upvotes?|likes?|stars?) | (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)
        [a-z]*\.?\ \d{1,2},?\ \d{4}
      | [\W_]*
    )$""",
)

# Button labels that a text dump glues to the following title ("SubscribeLanguage-...").
_GLUED_PREFIX = re.compile(
    r"^(?:Get trending papers in your email inbox(?: once a day)?!|Subscribe|Upvote|Submit|"
    r"Log In|Sign Up)(?=[A-Z0-9\"'(\[“‘])"
)

_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z(\"“]")
_MAX_TITLE = 300


def is_chrome(line: str) -> bool:
    """True when a stripped line is page chrome rather than a title or abstract."""
    return bool(_CHROME_LINE.match(line))


def strip_glued_chrome(line: str) -> str:
    """Remove button labels glued to the start of a line (repeatedly)."""
    while True:
        match = _GLUED_PREFIX.match(line)
        if not match:
            return line
        line = line[match.end():].lstrip()


def _title_like(line: str) -> bool:
    # Titles are short and hold at most one sentence; abstracts are paragraphs.
    return len(line) <= _MAX_TITLE and not _SENTENCE_BREAK.search(line.rstrip(".!?"))


def read_hf_text(text: str, name: str) -> Iterator[Item]:
    """Yield one raw record per paper of an HF papers page text dump.

    Args:
        text: The decoded file.
        name: The file name for messages.

    Yields:
        RawRecord items with ``title``/``abstract`` and the title's line number.
    """
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = strip_glued_chrome(raw.strip())
        if line and not is_chrome(line):
            lines.append((number, line))
    i = 0
    while i < len(lines):
        number, first = lines[i]
        nxt = lines[i + 1][1] if i + 1 < len(lines) else None
        after = lines[i + 2][1] if i + 2 < len(lines) else None
        if not _title_like(first) and (nxt is None or _title_like(nxt)):
            # A paragraph where a title belongs: an abstract whose title line is missing.
            yield _record(number, "", first)
            i += 1
        elif nxt is None or (
            _title_like(nxt) and after is not None and not _title_like(after)
        ):
            # Two titles in a row followed by an abstract: the first paper has no abstract.
            yield _record(number, first, "")
            i += 1
        else:
            yield _record(number, first, nxt)
            i += 2


def _record(line: int, title: str, abstract: str) -> RawRecord:
    return RawRecord(line, {"title": ("title", title), "abstract": ("abstract", abstract)})
