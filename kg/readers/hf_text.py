"""Reader for a Hugging Face papers page saved as text: title line, abstract line, repeated.

The page chrome (``Get trending papers in your email inbox!``, ``Subscribe``, ``Upvote``, counts,
``· 5 authors``, navigation) is dropped line by line, including button labels glued to the next
title (``SubscribeLanguage-Conditioned ...``). Titles and abstracts then alternate; a missing
abstract or title is recognised from the shape of the lines (titles are short and rarely end with
a full stop, abstracts are long sentences), so one gap does not shift every later pair, and a
titles-only page (the daily list) gives title-only papers.

Example:
    >>> text = "Get trending papers in your email inbox!\\nSubscribePPO\\nWe study PPO. It works."
    >>> [r.fields["title"][1] for r in read_hf_text(text, "page.txt")]
    ['PPO']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kg.readers._common import Item, RawRecord, split_lines

# Whole lines that are page chrome (compared case-insensitively after stripping).
_CHROME_LINE = re.compile(
    r"""(?ix)^(?:
        get\ trending\ papers\ in\ your\ email\ inbox.*
      | subscribe | unsubscribe | submit(?:\ a\ paper)? | upvote | upvoted | log\ ?in | sign\ ?up
      | hugging\ ?face | models | datasets | spaces | posts | docs | enterprise | pricing
      | community
      | (?:daily|trending)\ papers | papers | collections | search(?:\ papers)?(?:\.\.\.|…)?
      | by\ ak\ and\ the\ research\ community | load\ more | show\ more | previous | next | more
      | view\ (?:arxiv\ page|pdf) | arxiv\ page | pdf | github | add\ to\ collection | copy\ link
      | join\ the\ discussion | comments? | cite | share | models\ citing\ this\ paper.*
      | datasets\ citing\ this\ paper.* | spaces\ citing\ this\ paper.* | collections\ including.*
      | submitted\ by\ .* | published\ on\ .* | \W*\d+\ authors? | \#\d+ | [\d.,]+\s*[km]?
      | \d+\ (?:comments?|upvotes?|likes?|stars?)
      | (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\ \d{1,2},?\ \d{4}
      | [\W_]*
    )$""",
)

# Button labels that a text dump glues to the following title ("SubscribeLanguage-...").
_GLUED_PREFIX = re.compile(
    r"^(?:Get trending papers in your email inbox(?: once a day)?!|Subscribe|Upvote|Submit|"
    r"Log In|Sign Up)(?=[A-Z0-9\"'(\[“‘])"
)

_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z(\"“]")
_ABBREVIATION = re.compile(r"\b(?:vs|et al|e\.g|i\.e|cf|Mr|Dr|Fig|Eq|No|St|etc)\.", re.IGNORECASE)
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
        line = line[match.end() :].lstrip()


def looks_like_abstract(line: str) -> bool:
    """True for a paragraph (abstract), False for a title-like line.

    Titles are short, rarely end with a full stop, and hold at most one sentence break
    ("Why Does PPO Work? An Analysis"); abstracts are long or are sentences ending in a full stop.
    """
    if len(line) > _MAX_TITLE:
        return True
    text = _ABBREVIATION.sub("", line)
    breaks = len(_SENTENCE_BREAK.findall(text))
    ends_with_stop = line.endswith(".") and not _ABBREVIATION.search(line[-8:])
    return breaks >= 2 or (ends_with_stop and (breaks >= 1 or len(line.split()) >= 8))


def read_hf_text(text: str, name: str) -> Iterator[Item]:
    """Yield one raw record per paper of an HF papers page text dump.

    Args:
        text: The decoded file.
        name: The file name for messages.

    Yields:
        RawRecord items with ``title``/``abstract`` and the title's line number.
    """
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(split_lines(text), 1):
        line = strip_glued_chrome(raw.strip())
        if line and not is_chrome(line):
            lines.append((number, line))
    i = 0
    while i < len(lines):
        number, first = lines[i]
        nxt = lines[i + 1][1] if i + 1 < len(lines) else None
        if looks_like_abstract(first):
            # A paragraph where a title belongs: an abstract whose title line is missing.
            yield _record(number, "", first)
            i += 1
        elif nxt is not None and looks_like_abstract(nxt):
            yield _record(number, first, nxt)
            i += 2
        else:
            # A title followed by another title (or nothing): this paper has no abstract.
            yield _record(number, first, "")
            i += 1


def _record(line: int, title: str, abstract: str) -> RawRecord:
    return RawRecord(line, {"title": ("title", title), "abstract": ("abstract", abstract)})
