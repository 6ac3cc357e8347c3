"""Abbreviation definitions (Schwartz & Hearst, 2003), found in both directions.

Pure functions over a string return character offsets; :class:`AbbreviationDetector` is the thin
spaCy component that stores them in ``doc.user_data`` as plain tuples.

Forms recognised:

* ``Proximal Policy Optimization (PPO)``   long form, then the short form in parentheses;
* ``PPO (Proximal Policy Optimization)``   short form, then the long form in parentheses;
* ``Diffusion Policy Policy Optimization, DPPO``   long form, comma, upper-case short form.

Example:
    >>> from kg.extract.abbreviations import find_abbreviations
    >>> text = "We use Proximal Policy Optimization (PPO) and DPO (Direct Preference Optimization)."
    >>> [(text[a:b], text[c:d]) for a, b, c, d in find_abbreviations(text)]
    [('PPO', 'Proximal Policy Optimization'), ('DPO', 'Direct Preference Optimization')]
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from kg.extract.sentences import BatchedComponent, doc_text

# A parenthetical without nested parentheses; 1-160 characters keeps the scan linear.
_PAREN = re.compile(r"\(([^()\n]{1,160})\)")
# "long form, SF" with an upper-case short form followed by a clause boundary.
_COMMA_SHORT = re.compile(r",\s+([A-Z][A-Za-z0-9\-]{1,9})(?=[\s,.;:)]|$)")
_WORD = re.compile(r"\S+")
_LAST_WORD = re.compile(r"(?<![A-Za-z0-9\-])[A-Za-z0-9\-]+$")
_LEADING_WORDS = re.compile(
    r"^(?:(?:the|a|an|our|their|its|this|these|that|we|of|to|and|or|with|by|using|use|uses|"
    r"called|named|termed|dubbed|in|on|for|as|is|are|via|from)\s+)+",
    re.IGNORECASE,
)
_SPLIT_INNER = re.compile(r"[;,]|\s[-\u2013\u2014]\s")
_SKIP_INNER = re.compile(r"^(?:e\.g\.|i\.e\.|see|cf\.|resp\.|et al|for example)", re.IGNORECASE)


def is_short_form(candidate: str) -> bool:
    """Whether ``candidate`` can be a short form: 2-10 chars, at most 2 words, upper-case letter.

    Args:
        candidate: Text inside the parentheses (or after the comma).

    Returns:
        True for strings such as ``PPO``, ``(N)-HARPG``, ``LLMs``; False for ``2023`` or ``i``.
    """
    if not 2 <= len(candidate) <= 10 or candidate.count(" ") > 1:
        return False
    if not candidate[0].isalnum() and candidate[0] != "(":
        return False
    if not any(ch.isupper() for ch in candidate):
        return False
    # Mostly lower-case words ("Adam", "Figure") are names or prose, not abbreviations.
    upper = sum(ch.isupper() for ch in candidate)
    return upper >= 2 or (upper == 1 and len(candidate) <= 4 and not candidate[1:].islower())


def best_long_form(short: str, long: str) -> int | None:
    """Schwartz-Hearst alignment: where in ``long`` the definition of ``short`` starts.

    Every alphanumeric character of the short form must occur in the long form, right to left, and
    the first one must begin a word.

    Args:
        short: The short form, e.g. ``PPO``.
        long: Candidate text before (or inside) the parentheses.

    Returns:
        The offset in ``long`` where the shortest valid long form starts, or None.
    """
    if short.isascii() and long.isascii():
        return _best_long_form_ascii(short, long)
    s_i = len(short) - 1
    l_i = len(long) - 1
    while s_i >= 0:
        ch = short[s_i].lower()
        if not ch.isalnum():
            s_i -= 1
            continue
        while l_i >= 0 and (
            long[l_i].lower() != ch or (s_i == 0 and l_i > 0 and long[l_i - 1].isalnum())
        ):
            l_i -= 1
        if l_i < 0:
            return None
        l_i -= 1
        s_i -= 1
    return long.rfind(" ", 0, l_i + 1) + 1


def _best_long_form_ascii(short: str, long: str) -> int | None:
    """:func:`best_long_form` for ASCII strings: the same right-to-left alignment, each step one
    ``str.rfind`` over the lower-cased long form (ASCII lower-casing keeps every offset) instead
    of a Python loop over its characters."""
    low = long.lower()
    s_i = len(short) - 1
    l_i = len(long) - 1
    while s_i >= 0:
        ch = short[s_i].lower()
        if not ch.isalnum():
            s_i -= 1
            continue
        l_i = low.rfind(ch, 0, l_i + 1)
        if s_i == 0:
            # The first character of the short form must begin a word.
            while l_i > 0 and long[l_i - 1].isalnum():
                l_i = low.rfind(ch, 0, l_i)
        if l_i < 0:
            return None
        l_i -= 1
        s_i -= 1
    return long.rfind(" ", 0, l_i + 1) + 1


_CLAUSE_MARKS = (". ", "; ", ": ", "? ", "! ", ";", ":", "\n", "(", ")", "[", "]")


def _clause_start(text: str, end: int, limit: int) -> int:
    """Start of the clause that ends at ``end`` (no further back than ``limit`` characters)."""
    lo = max(0, end - limit)
    start = lo
    for mark in _CLAUSE_MARKS:
        pos = text.rfind(mark, lo, end)
        if pos >= 0 and pos + len(mark) > start:
            start = pos + len(mark)
    return start


def _long_before(text: str, short: str, end: int) -> tuple[int, int] | None:
    """Long form that ends at ``end`` (exclusive) and defines ``short``, as offsets."""
    while end > 0 and (text[end - 1].isspace() or text[end - 1] in "\"'`\u201d\u2019,"):
        end -= 1
    start = _clause_start(text, end, 200)
    window = text[start:end]
    n_chars = sum(ch.isalnum() for ch in short)
    max_words = min(n_chars + 5, n_chars * 2)
    # Where the last ``max_words`` words of the window start (one split from the right instead
    # of a match object for every word of a window of up to 200 characters).
    # (``max_words`` is 0 for a short form without letters or digits: then all words count.)
    parts = window.rsplit(None, max_words) if max_words > 0 else window.split(None, 1)
    if not parts:
        return None
    tail = window[len(parts[0]) :] if 0 < max_words < len(parts) else window
    base = start + len(window) - len(tail.lstrip())
    candidate = text[base:end]
    offset = _align(short, candidate)
    if offset is None:
        offset = _titlecase_long_form(short, candidate)
        if offset is None:
            return None
    else:
        offset = _extend_to_initials(short, candidate, offset)
    lf_start = base + offset
    long = text[lf_start:end]
    lead = _LEADING_WORDS.match(long)
    if lead:
        # A stop word kept only because it carries a letter of the short form is not part of
        # the name ("use" in "we use Unified Search (US)"): realign on the rest.
        rest = long[lead.end():]
        if rest and best_long_form(short, rest) is not None:
            lf_start += lead.end()
            long = rest
    if not _valid_pair(short, long):
        return None
    return lf_start, end


def _align(short: str, long: str) -> int | None:
    """:func:`best_long_form`, retried without the digits of the short form ("TD3", "A2C")."""
    offset = best_long_form(short, long)
    if offset is None and any(ch.isdigit() for ch in short) and not any(ch.isdigit() for ch in long):
        # "A2PR" = Adaptive Advantage-guided ..., "TD3" = Twin Delayed DDPG.
        for letters in (_letters(short), "".join(ch for ch in short if not ch.isdigit())):
            if sum(ch.isalpha() for ch in letters) >= 2:
                offset = best_long_form(letters, long)
                if offset is not None:
                    break
    return offset


_WORD_START = re.compile(r"(?:^|(?<=[\s\-/]))[A-Za-z0-9]")
_MINOR = frozenset("a an and for in of on the to via with from by".split())


def _extend_to_initials(short: str, long: str, offset: int) -> int:
    """Move the start left while the short form still spells the word initials.

    Plain Schwartz-Hearst returns the shortest long form ("Policy Optimization" for PPO in
    "Proximal Policy Optimization"); an earlier word whose initial starts the short form, from
    which the short form spells the initials of every word (or of every hyphen part), is the
    intended definition.
    """
    letters = _letters(short)
    if not letters:
        return offset
    for pos in (m.start() for m in _WORD_START.finditer(long)):
        if pos >= offset:
            break
        if long[pos].lower() != letters[0] or (pos > 0 and long[pos - 1] == "-"):
            continue
        words = [w for w in long[pos:].split() if w.lower() not in _MINOR]
        word_initials = "".join(w[0].lower() for w in words)
        part_initials = "".join(p[0].lower() for w in words for p in w.split("-") if p)
        for initials in (word_initials, part_initials):
            if len(initials) <= len(letters) and _covers(letters, initials):
                return pos
    return offset


def _letters(short: str) -> str:
    """Letters of a short form, a digit repeating the letter before it ("A2PR" -> "aapr")."""
    out = []
    for ch in short.lower():
        if ch.isalpha():
            out.append(ch)
        elif ch.isdigit() and out and ch in "23":
            out.extend(out[-1] * (int(ch) - 1))
    return "".join(out)


def _titlecase_long_form(short: str, long: str) -> int | None:
    """Fallback for creative acronyms ("Regressing the Relative Future (REFUEL)").

    Accepts a run of capitalised words (minor words allowed inside) whose first word starts with
    the short form's first letter.
    """
    if sum(ch.isupper() for ch in short) < 3:
        return None
    words = list(_WORD.finditer(long))
    if len(words) < 2 or not words[-1].group()[0].isupper():
        return None
    first = short[0].lower()
    best = None
    capitalised = 0
    for word in reversed(words[-6:]):
        token = word.group()
        if token[0].isupper():
            capitalised += 1
            if token[0].lower() == first and capitalised >= 2:
                best = word.start()
        elif token.lower() not in _MINOR:
            break
    return best


def _valid_pair(short: str, long: str) -> bool:
    if len(long) <= len(short) or short.lower() in long.lower().split():
        return False
    if long.count(" ") + 1 > 2 * len(short) + 2:
        return False
    return any(ch.isalpha() for ch in long) and long[0].isalnum()


def find_abbreviations(text: str) -> list[tuple[int, int, int, int]]:
    """Every abbreviation defined in ``text``.

    Args:
        text: Any string (title or abstract).

    Returns:
        ``(short_start, short_end, long_start, long_end)`` character offsets, in text order,
        one tuple per definition.
    """
    found: list[tuple[int, int, int, int]] = []
    if "(" in text:
        for match in _PAREN.finditer(text):
            inner_start, inner_end = match.span(1)
            inner = match.group(1)
            if _SKIP_INNER.match(inner):
                continue
            # "(PPO; Schulman et al.)" -> "PPO"
            cut = _SPLIT_INNER.search(inner)
            first = inner[: cut.start()] if cut else inner
            first_stripped = first.strip()
            lead_ws = len(first) - len(first.lstrip())
            if is_short_form(first_stripped):
                s_start = inner_start + lead_ws
                s_end = s_start + len(first_stripped)
                pair = _long_before(text, first_stripped, match.start())
                if pair:
                    found.append((s_start, s_end, pair[0], pair[1]))
                continue
            # Reverse direction: "PPO (Proximal Policy Optimization)".
            if first_stripped.count(" ") < 1:
                continue
            # Only the last few characters: a "$"-anchored search scans from the window start.
            before = text[max(0, match.start() - 24) : match.start()].rstrip()
            word = _LAST_WORD.search(before)
            if not word or not is_short_form(word.group()):
                continue
            short = word.group()
            short_start = match.start() - len(text[max(0, match.start() - 24) : match.start()]) + word.start()
            offset = _align(short, first_stripped)
            if offset is not None:
                offset = _extend_to_initials(short, first_stripped, offset)
            # The whole parenthetical must be the definition, not just its tail.
            if offset is None or offset != 0 or not _valid_pair(short, first_stripped):
                continue
            l_start = inner_start + lead_ws
            found.append((short_start, short_start + len(short), l_start, l_start + len(first_stripped)))
    if ", " in text:
        for match in _COMMA_SHORT.finditer(text):
            short = match.group(1)
            if sum(ch.isupper() for ch in short) < 2:
                continue
            pair = _long_before(text, short, match.start())
            if pair is None:
                continue
            long = text[pair[0] : pair[1]]
            # Without parentheses the evidence is weaker: insist on initials of every word.
            initials = "".join(w[0] for w in re.split(r"[\s\-]+", long) if w).lower()
            if not initials or not _covers(short.lower(), initials):
                continue
            found.append((match.start(1), match.end(1), pair[0], pair[1]))
    title_pair = find_title_abbreviation(text)
    if title_pair and not any(f[0] == title_pair[0] for f in found):
        found.append(title_pair)
    found.sort()
    return found


_TITLE_CHUNK_END = re.compile(r"\s+(?:for|in|via|with|from|through|using|under|on|by|to|towards)\s+|[,:;?]")


def find_title_abbreviation(text: str) -> tuple[int, int, int, int] | None:
    """A title "SHORT: Long Form for ..." whose long form spells the short form's capitals.

    "BRAIn: Bayesian Reward-conditioned Amortized Inference for ..." defines BRAIn. At least
    three capitals are required, and they must be exactly the initials of the long form's words.

    Args:
        text: Title + blank line + abstract (the title ends at the first blank line).

    Returns:
        ``(short_start, short_end, long_start, long_end)`` or None.
    """
    title_end = text.find("\n\n")
    if title_end <= 0:
        return None
    colon = text.find(": ", 0, title_end)
    if colon <= 1 or " " in text[:colon].strip():
        return None
    short = text[:colon].strip()
    capitals = "".join(ch.lower() for ch in short if ch.isupper())
    if len(capitals) < 3:
        return None
    start = colon + 2
    end_match = _TITLE_CHUNK_END.search(text, start, title_end)
    end = end_match.start() if end_match else title_end
    words = [w for w in text[start:end].split() if w.lower() not in _MINOR]
    if not words or any(not w[0].isupper() for w in words):
        return None
    if "".join(w[0].lower() for w in words) != capitals:
        return None
    s_start = text.find(short)
    return s_start, s_start + len(short), start, end


def _covers(short: str, initials: str) -> bool:
    """True when the letters of ``short`` are the word initials (in order, all used)."""
    letters = [ch for ch in short if ch.isalpha()]
    pos = 0
    for ch in letters:
        pos = initials.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return len(letters) >= len(initials) - 1


@Language.factory("kg_abbreviations")
class AbbreviationDetector(BatchedComponent):
    """spaCy component: ``doc.user_data["kg_abbreviations"]`` = list of ``(short_start,
    short_end, long_start, long_end)``, each form widened to whole tokens.

    Plain tuples rather than span groups: cheap to build, and plain data survives
    multiprocessing.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        found = []
        for s_start, s_end, l_start, l_end in find_abbreviations(doc_text(doc)):
            short = doc.char_span(s_start, s_end, alignment_mode="expand")
            long = doc.char_span(l_start, l_end, alignment_mode="expand")
            if short is None or long is None:
                continue
            found.append((short.start_char, short.end_char, long.start_char, long.end_char))
        doc.user_data["kg_abbreviations"] = found
        return doc
