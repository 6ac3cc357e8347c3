"""Pattern rules for names no resource list holds, proposed names, typed heads and title tasks.

All rules work on the raw text with ``str`` methods and anchored regular expressions (fast,
offsets exact); the spaCy component :class:`PatternMatcher` stores their results as plain
``(start, end, label)`` tuples in ``doc.user_data["kg_patterns"]``:

* ``names``      acronyms, CamelCase and letter/digit names (DPPO, SimpleAR, pi2vec, GPT-4);
                    label = a type when a suffix or head noun says so, else ``unknown``;
* ``typed``      "the X benchmark/dataset/environment/suite/simulator", lists after
                    "benchmarks such as ..." (label = type by the head noun);
* ``proposed``   names the paper introduces ("we propose X", "X, a novel ...", title "X: ...");
                    label = type suggested by the context (``unknown`` if none);
* ``title_tasks`` task phrases of the title ("... for Robot Manipulation").

Example:
    >>> from kg.extract.patterns import find_name_tokens
    >>> text = "We compare SimpleAR, DPPO and pi2vec with the Transformer."
    >>> [text[s:e] for s, e in find_name_tokens(text)]
    ['SimpleAR', 'DPPO', 'pi2vec']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import filterfalse

from spacy.language import Language
from spacy.tokens import Doc

from kg.extract.sentences import BatchedComponent, doc_text
from kg.resources import lookup_key

UNKNOWN = "unknown"

# A token with an inner capital or a letter-digit mix: DPPO, SimpleAR, HarmoDT, pi2vec, GPT-4,
# Med-PRM, A2PR, o1. Greedy classes without nested alternation keep it linear.
_NAME = re.compile(
    r"(?<![\w\-./@])[A-Za-z0-9][a-z0-9]*(?:-[A-Za-z][a-z0-9]*)*[A-Z0-9][\w\-.+]*"
)
_NUMBERLIKE = re.compile(r"^(?:\d+(?:[.,]\d+)*[A-Za-z]{0,2}|[IVX]+|\d+(?:st|nd|rd|th)|[A-Z]\d?|\d+-\w+|v\d+(?:\.\d+)*|\d+[x×]\d+)$")
_STOP_NAMES = frozenset(
    """AI ML NLP CV RL DL GPU GPUs CPU CPUs TPU TPUs API APIs SOTA MDP MDPs POMDP POMDPs IID KL ODE
    ODEs PDE PDEs SDE SDEs US USA UK EU RGB RGB-D FPS URL PhD NP PAC OOD AUC ROC FLOPs FLOP CNN-based
    LLM-based RL-based II III IV VI VII XL XXL IoT HCI AGI QA IR MT ASR TTS OCR NER TD-based DoF
    DOF KPI KPIs SQL JSON XML HTML CSV GDP CO2 COVID-19 COVID AIME PDF LaTeX GitHub TL DR TL;DR""".split()
)
_MANGLED = re.compile(r"[a-z]x20[0-9a-f]{2}|u20[0-9a-f]{2}[a-z]")
_STOP_NAMES_UPPER = frozenset(n.upper() for n in _STOP_NAMES)
_AFFIXES = frozenset(
    """like type based style driven tuning simulated guided free aware specific level wise scale
    sized parameter parameters size generated augmented conditioned inspired powered enabled
    only compatible friendly agnostic dependent independent centric oriented induced regularized
    constrained informed labeled labelled annotated trained finetuned tuned initialized variant
    variants version versions family series model models agent agents policy policies player
    players benchmark benchmarks dataset datasets environment environments suite task tasks""".split()
)
_BENCH_SUFFIX = re.compile(r"(?:Bench|Benchmark|Gym|Suite|Arena|World|Env|Eval|Sim|Leaderboard)(?:[-\s]?\d[\w.]*)?$")
_DATA_SUFFIX = re.compile(r"(?:QA|Set|Data|Corpus|DB|Instruct|-\d+[Kk]|\d+[Kk])$")

BENCH_HEADS = frozenset(
    "benchmark benchmarks suite suites environment environments simulator simulators testbed "
    "testbeds leaderboard arena gym game games platform".split()
)
DATA_HEADS = frozenset("dataset datasets corpus corpora data collection".split())
_HEAD_TYPE = {**{h: "benchmark" for h in BENCH_HEADS}, **{h: "dataset" for h in DATA_HEADS}}

# Capitalised word (with inner hyphens) or name token, then more of them, minor words allowed
# between: "Regressing the Relative Future", "Policy Adaptation via Language Optimization".
_CAPWORD = r"(?:[A-Z][\w]*(?:-[\w]+)*|[a-z]+[0-9][\w\-]*|[a-z]+[A-Z][\w\-]*)"
_CAPRUN = re.compile(
    _CAPWORD + r"(?:\s+(?:(?:of|for|with|via|and|the|to|in|on|from|a)\s+)?" + _CAPWORD + r"){0,7}"
)
_MINOR_TAIL = re.compile(r"(?:\s+(?:of|for|with|via|and|the|to|in|on|from|a))+$")

_DESCRIPTOR = re.compile(
    r"\s*(?:(?:a|an|the|our|two|three|new|novel|simple|general|unified|scalable|efficient|"
    r"principled|lightweight|practical|versatile|powerful|first|large-scale|yet|effective|"
    r"simple-yet-effective|new,)\s+)*"
)
_NAMING = re.compile(r"(?:\b(?:called|named|dubbed|termed|coined|namely|coin|entitled)\s+|[,:]\s+|\s[-\u2013\u2014]{1,2}\s+|\s\(\s*)")
_APPOSITIVE = re.compile(
    r"\s*(?:\([^()]{1,40}\)\s*)?(?:,|:|\s[-\u2013\u2014]{1,2})\s*(?:(?:is|as)\s+)?(?:a|an)\s+"
    r"(?:(?:novel|new|simple|general|unified|scalable|efficient|principled|lightweight|flexible|"
    r"practical|versatile|generalist|large-scale|fully|first|powerful|robust|specialized|"
    r"challenging|comprehensive|open-source|synergistic|vanilla|[\w\-]+-based)\b)"
)
_APPOSITIVE_HEAD = re.compile(
    r"\s*(?:\([^()]{1,40}\)\s*)?,?\s*(?:(?:is|as)\s+)?(?:a|an|the)\s+"
    r"(?:(?!(?:that|which|framework|method|model|approach|algorithm|system|to|for|of|with|and)\b)"
    r"[\w\-]+,?\s+){0,4}?"
    r"(dataset|benchmark|corpus|suite|environment|simulator|testbed|leaderboard|collection)s?\b"
)
_HEAD_AFTER = re.compile(
    r"\s+(benchmarks?|datasets?|environments?|suites?|simulators?|corpus|corpora|testbeds?|"
    r"leaderboard|games?|tasks?|databases?|data sets?|training sets?|test sets?|collections?)\b"
)
_LIST_ITEM = re.compile(r"(" + _CAPWORD + r"(?:[\s\-](?:[A-Z0-9][\w.\-]*)){0,3})")
_LIST_SEP = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,\s*|\s+and\s+|\s+or\s+|\s*&\s*)")

# Title task phrases: chunks between connectives; kept when their head is a task noun, or when
# "for"/"in" introduces them.
_TITLE_SPLIT = re.compile(
    r"\s*[:?!,;]\s*|\s+-{1,2}\s+|\s+[\u2013\u2014]\s+|\s+(?:for|in|via|with|from|through|using|under|on|by|to|towards|of|and|across|"
    r"into|at|as|that|which|when|without|beyond|over|between|against|is|are|vs\.?|versus|"
    r"based|leveraging|while|where|meets|enables?|can|do|does|all|you|need)\s+",
    re.IGNORECASE,
)


# Cached for the last titles: find_title_tasks and find_title_chunk_proposals split the same title.
@lru_cache(maxsize=4)
def _title_splits(title: str) -> tuple[tuple[int, int, str], ...]:
    """``(start, end, lower-cased connector)`` of every :data:`_TITLE_SPLIT` match in ``title``.

    Each split starts with a space or one of ``:?!,;``: the pattern is only tried there, and, for
    an ASCII title, case-sensitively on the lower-cased title (same offsets, same matches), which
    is three times faster than letting the case-insensitive pattern scan every position.
    """
    if not title.isascii():
        return tuple(
            (m.start(), m.end(), m.group().strip().lower()) for m in _TITLE_SPLIT.finditer(title)
        )
    low = title.lower()
    out = []
    end = 0
    for candidate in _TITLE_SPLIT_START.finditer(low):
        pos = candidate.start()
        if pos < end:
            continue
        match = _TITLE_SPLIT_LOWER.match(low, pos)
        if match is not None:
            out.append((pos, match.end(), match.group().strip()))
            end = match.end()
    return tuple(out)


_TITLE_SPLIT_LOWER = re.compile(_TITLE_SPLIT.pattern)
_TITLE_SPLIT_START = re.compile(r"[\s:?!,;]")


TASK_HEADS = frozenset(
    """learning control manipulation planning reasoning generation alignment evaluation estimation
    detection recognition classification segmentation translation summarization answering navigation
    locomotion grasping forecasting recommendation scheduling allocation compression transfer
    adaptation generalization exploration imitation selection inference retrieval synthesis editing
    tracking localization coordination decision-making dialogue fine-tuning finetuning training
    unlearning pathfinding routing management design analysis tuning configuration discovery
    verification optimisation optimization overoptimization prediction modeling modelling
    understanding captioning driving rl marl rlhf games game tennis behaviors behaviours
    recourse extrapolation composition steering safety personalization explanation explanations
    mining matching search extraction identification reconstruction resolution parsing assessment
    completion denoising tagging restoration separation comprehension diagnosis registration
    inpainting annotation enhancement deblurring labeling labelling anticipation spotting trading
    attribution checking monitoring categorization synchronization interpretation disambiguation
    transcription visualization linking anonymization colorization quantification repair counting
    grounding dispatch""".split()
)
_TAIL_WORDS = ("tasks", "task", "problems", "problem", "settings", "setting", "domains", "domain",
               "scenarios", "scenario", "applications", "application")
_TASK_STRIP_TAIL = re.compile(r"(?:\s+(?:" + "|".join(_TAIL_WORDS) + r"))+$", re.IGNORECASE)


def _may_have_tail(chunk: str) -> bool:
    """False when :data:`_TASK_STRIP_TAIL` cannot match ``chunk``: an ASCII chunk that ends
    neither with one of its words (in any case) nor with a line break (where ``$`` also
    matches); the check costs less than one failed position of the search."""
    return not chunk.isascii() or chunk.endswith("\n") or chunk.lower().endswith(_TAIL_WORDS)


_TASK_STRIP_HEAD_WORDS = (
    "a an the on towards toward efficient effective improved improving enhancing provably "
    "scalable simple fast robust learning rethinking revisiting understanding benchmarking "
    "scaling evaluating optimizing bridging aligning unifying training boosting advancing "
    "accelerating exploring stabilizing incentivizing unlocking fine-tuning"
).split()
_TASK_STRIP_HEAD = re.compile(
    r"^(?:(?:" + "|".join(map(re.escape, _TASK_STRIP_HEAD_WORDS)) + r")\s+)+", re.IGNORECASE
)
_TASK_STRIP_HEAD_SET = frozenset(_TASK_STRIP_HEAD_WORDS)


def _may_have_head(chunk: str) -> bool:
    """False when :data:`_TASK_STRIP_HEAD` cannot match ``chunk``: an ASCII chunk whose first
    word (in lower case) is none of its words."""
    if not chunk.isascii():
        return True
    words = chunk.split(None, 1)
    return bool(words) and words[0].lower() in _TASK_STRIP_HEAD_SET


_NOT_TASK_WORDS = frozenset(
    "policy policies method methods approach approaches framework model models network networks "
    "algorithm algorithms study survey case guide perspective roadmap power value efficacy "
    "laws law towards toward".split()
)


def search_last_words(
    pattern: re.Pattern[str], text: str, lo: int, hi: int, words: int
) -> re.Match[str] | None:
    """``pattern.search(text, lo, hi)`` for a pattern that ends at ``hi`` (``$``) and whose
    matches span at most ``words`` whitespace-separated words of the window.

    No match can start before the ``words``-th last word, so the search starts there instead of
    trying every position of the window (look-behinds and ``\\b`` still see the text before it).

    Args:
        pattern: A compiled pattern anchored at the end of the window.
        text: The text.
        lo: Start of the window.
        hi: End of the window.
        words: Most words a match spans (a partial first word counts as one).

    Returns:
        The match, or None.
    """
    head = text[lo:hi].rsplit(None, words)
    if len(head) > words:
        lo += len(head[0])
    return pattern.search(text, lo, hi)


def finditer_at(
    pattern: re.Pattern[str], text: str, literals: tuple[str, ...], start: int = 0
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text, start)`` for a pattern whose every match begins with one of
    ``literals``: the same matches, tried only where a literal occurs.

    A pattern that opens with ``\\b`` or a character class is tried by the regex engine at every
    position of the text; a ``str.find`` per literal skips to the few places worth trying (the
    text before ``start`` still counts for ``\\b`` and look-behinds, as in ``finditer``).

    Args:
        pattern: A compiled pattern that never matches the empty string.
        text: The text.
        literals: Strings every match starts with.
        start: Where the search starts.

    Yields:
        Non-overlapping matches, left to right.
    """
    positions = []
    for literal in literals:
        pos = text.find(literal, start)
        while pos >= 0:
            positions.append(pos)
            pos = text.find(literal, pos + 1)
    if len(literals) > 1:
        positions.sort()
    end = start
    for pos in positions:
        if pos < end:
            continue
        match = pattern.match(text, pos)
        if match is not None:
            yield match
            end = match.end()


_HAS_INNER_CAP = re.compile(r"[A-Za-z0-9][a-z0-9]*[A-Z]")


# Cached: a pure function of the word, asked again for every recurring word.
@lru_cache(maxsize=65536)
def _is_name_like(token: str) -> bool:
    """Inner capital in some hyphen part (SimpleAR, Med-PRM, iLQR) or a letter-digit mix."""
    for part in token.split("-"):
        if len(part) > 1 and _HAS_INNER_CAP.match(part):
            return True
    has_digit = any(ch.isdigit() for ch in token)
    return has_digit and any(ch.isalpha() for ch in token)


_PUNCT = "()[]{},;:!?\"'\u201c\u201d\u2018\u2019"
_PUNCT_ALL = _PUNCT + ".-"


def find_name_tokens(text: str) -> list[tuple[int, int]]:
    """Tokens that look like names: acronyms, inner capitals, letter-digit mixes.

    Args:
        text: Any string.

    Returns:
        ``(start, end)`` offsets; numbers, units ("7B", "3D"), roman numerals and generic acronyms
        (AI, GPU, MDP, ...) are left out.
    """
    found: list[tuple[int, int]] = []
    pos = 0
    cache = _WORD_NAMES
    # Words repeat across abstracts: what a word yields is looked up, and only the offset of its
    # core depends on the text (``find`` from the end of the previous core, as always). Most
    # words yield nothing and leave the position alone; a set filters them out in C
    # (``filterfalse``), so the loop below only sees the few that are new or names.
    for word in filterfalse(_NO_NAME_WORDS.__contains__, text.split()):
        info = cache.get(word)
        if info is None:
            if len(cache) >= _WORD_CACHE_SIZE:
                cache.clear()
                _NO_NAME_WORDS.clear()
            info = cache[word] = _word_names(word)
        if not info:
            _NO_NAME_WORDS.add(word)
            continue
        core, spans = info
        at = text.find(core, pos)
        if at < 0:
            continue
        pos = at + len(core)
        for start, end in spans:
            found.append((at + start, at + end))
    return found


_WORD_NAMES: dict[str, tuple[str, tuple[tuple[int, int], ...]] | tuple[()]] = {}
"""Word -> (core, name spans relative to the core) or ``()`` when the word is no name."""
_NO_NAME_WORDS: set[str] = set()
"""The words of :data:`_WORD_NAMES` that yield nothing (``()``), cleared with it."""
_WORD_CACHE_SIZE = 200_000


def _word_names(word: str) -> tuple[str, tuple[tuple[int, int], ...]] | tuple[()]:
    """What :func:`find_name_tokens` takes from one whitespace-separated word."""
    if word.islower():
        # Lower-case words are names only with a digit (pi2vec, o1).
        if word.isalpha():
            return ()
        core = word.strip(_PUNCT_ALL)
        if core.isalpha() or not core or not any(ch.isdigit() for ch in core):
            return ()
    if len(word) < 2:
        return ()
    core = word.strip(_PUNCT)
    if len(core) < 2 or (core[0].isupper() and core[1:].islower()):
        return ()
    spans: list[tuple[int, int]] = []
    _add_word(core, 0, spans)
    # The core still moves the search position even when it yields no name.
    return core, tuple(spans)


def _add_word(core: str, at: int, found: list[tuple[int, int]]) -> None:
    if "/" in core:
        offset = 0
        for part in core.split("/"):
            _add_name(part, at + offset, found)
            offset += len(part) + 1
    else:
        _add_name(core, at, found)


def _add_name(token: str, start: int, found: list[tuple[int, int]]) -> None:
    if "(" in token or ")" in token or "@" in token or "://" in token:
        return
    if token.endswith(("'s", "\u2019s")):
        token = token[:-2]
    if "^" in token or "{" in token or "}" in token or "=" in token or "\\" in token or (
        "<" in token or ">" in token
    ):
        return  # mathematics, not a name
    if _MANGLED.search(token):
        return  # "classx2013one": a mangled character escape, not a name
    if "-" in token:
        # "iLQR-like", "VAE-based", "DeepSpeed-Chat-like", "non-AFT": drop the lower-case affix.
        head, _, tail = token.rpartition("-")
        if head and tail.isalpha() and tail.islower() and len(tail) >= 3 and tail in _AFFIXES:
            token = head
        head, _, tail = token.partition("-")
        if tail and head in ("non", "pseudo", "anti", "self", "semi", "multi", "pre", "post"):
            token = tail
            start += len(head) + 1
    while token and token[-1] in ".-+":
        token = token[:-1]
    while token and token[0] in "-.":
        token = token[1:]
        start += 1
    if "." in token and not any(ch.isdigit() for ch in token.split(".", 1)[1][:1]):
        return  # "x.Com", "e.G" - not a name (decimals like "Llama-3.1" are kept)
    if len(token) < 2 or not _is_name_like(token):
        return
    if _NUMBERLIKE.match(token) or token.upper() in _STOP_NAMES_UPPER:
        return
    if token.endswith("s") and token[:-1].upper() in _STOP_NAMES_UPPER:
        return
    found.append((start, start + len(token)))


# Cached: a pure function of the name (two suffix searches), and names recur.
@lru_cache(maxsize=65536)
def type_by_form(name: str) -> str:
    """Type suggested by a name's own form: "HumanoidBench" -> benchmark, "MedQA" -> dataset.

    Args:
        name: A candidate name.

    Returns:
        ``benchmark``, ``dataset`` or :data:`UNKNOWN`.
    """
    if _BENCH_SUFFIX.search(name):
        return "benchmark"
    if _DATA_SUFFIX.search(name):
        return "dataset"
    return UNKNOWN


_HEAD_AFTER_FIRST = frozenset("bdestclg")
"""First letters of the head nouns of :data:`_HEAD_AFTER` (after its leading spaces)."""
_APPOSITIVE_HEAD_FIRST = frozenset("(,iat")
"""What :data:`_APPOSITIVE_HEAD` can see first after its optional spaces: a parenthesis, a
comma, "is"/"as" or the article."""


def type_by_context(text: str, end: int) -> str:
    """Type suggested by what follows a name ending at ``end``.

    "X benchmark", "X, a new dataset of ...", "X (ours), a simulator" -> benchmark or dataset.

    Args:
        text: The whole text.
        end: End offset of the name.

    Returns:
        ``benchmark``, ``dataset``, ``task`` (for "X tasks") or :data:`UNKNOWN`.
    """
    window = text[end : end + 90]
    # What the window starts with after its spaces decides which pattern can match at all
    # (most names are followed by neither a head noun nor an appositive).
    rest = window.lstrip()
    first = rest[:1]
    if not first:
        return UNKNOWN
    if first in _HEAD_AFTER_FIRST and len(rest) < len(window):
        head = _HEAD_AFTER.match(window)
        if head:
            word = head.group(1).lower()
            if word.startswith("task"):
                return UNKNOWN
            return _head_type(word)
    if first in _APPOSITIVE_HEAD_FIRST:
        appos = _APPOSITIVE_HEAD.match(window)
        if appos:
            return _head_type(appos.group(1).lower())
    return UNKNOWN


def _head_type(word: str) -> str:
    if word in _HEAD_TYPE:
        return _HEAD_TYPE[word]
    if word.rstrip("s") in _HEAD_TYPE:
        return _HEAD_TYPE[word.rstrip("s")]
    if word.endswith((" set", " sets")):
        return "dataset"  # "the KITTI training set", "the Yelp data set"
    return "dataset" if word.startswith(("corp", "data", "coll")) else "benchmark"


_HEAD_WORDS = ("benchmark", "dataset", "environment", "suite", "simulator", "corpus", "corpora",
               "testbed", "leaderboard", "games", "platform", "database", "data set",
               "training set", "test set", "collection")
_LIST_MARKERS = ("such as ", "including ", "e.g. ", "e.g., ", "like ", "namely ", "i.e., ", ": ")
_LIST_HEAD_BEFORE = re.compile(
    r"\b(benchmarks?|datasets?|environments?|suites?|simulators?|corpora|games|testbeds?|domains|"
    r"tasks)\s*[(,]?\s*$"
)
_VERSION = re.compile(r"^(?:\d[\w.]*|v\d[\w.]*)$")


def _name_before(text: str, pos: int, max_words: int = 4) -> tuple[int, int] | None:
    """The run of capitalised / name-like words ending at ``pos`` (spaces before ``pos`` skipped).

    "the Arcade Learning Environment" -> "Arcade Learning Environment"; "Atari 2600" keeps the
    number after a capitalised word.
    """
    end = pos
    while end > 0 and text[end - 1] == " ":
        end -= 1
    window = text[max(0, end - 80) : end]
    # A name never crosses a line break (the title/abstract separator): "...Mean Field Games" +
    # "\n\n" + "Mean-field games" is not one name.
    window = window[window.rfind("\n") + 1 :]
    words = window.split(" ")
    taken: list[str] = []
    for word in reversed(words):
        if not word or len(taken) >= max_words:
            break
        if word[-1] in ",;:.)(" or word[0] in "(\"'":
            break
        if word[0].isupper() or _is_name_like(word) or (_VERSION.match(word) and not taken):
            taken.append(word)
        else:
            break
    while taken and (_VERSION.match(taken[-1]) or taken[-1].lower() in _GENERIC_CAPS):
        taken.pop()
    if not taken:
        return None
    length = len(" ".join(reversed(taken)))
    head, _, affix = taken[0].rpartition("-")
    if head and affix in _AFFIXES:
        # "MuJoCo-based benchmarks": the name is MuJoCo ("the N-agent simulator": N is none).
        if len(taken) == 1 and not _NUMBERLIKE.match(head):
            return end - length, end - len(affix) - 1
        return None
    return end - length, end


def _is_title_case(title: str) -> bool:
    words = [w for w in title.split() if w[:1].isalpha() and len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def find_typed_heads(text: str) -> list[tuple[int, int, str]]:
    """Names typed by a head noun or a list introduction.

    "the D4RL benchmark" -> (D4RL, benchmark); "datasets such as MedQA and PubMedQA" -> both
    datasets.

    Args:
        text: Any string.

    Returns:
        ``(start, end, type)`` offsets.
    """
    found: list[tuple[int, int, str]] = []
    title_len = title_length(text)
    title_case: bool | None = None  # asked only for a capitalised head in the title
    low = text.lower()
    for head in _HEAD_WORDS:
        pos = low.find(head)
        while pos >= 0:
            form = text[pos : pos + len(head)]
            if form != head and form != head.capitalize():
                pos = low.find(head, pos + len(head))
                continue
            after = pos + len(form)
            if text[after : after + 1] == "s":
                after += 1
            capital_in_title = form[0].isupper() and pos < title_len
            if capital_in_title and title_case is None:
                title_case = _is_title_case(text[:title_len])
            if text[after : after + 1].isalpha() or (capital_in_title and title_case):
                # Part of a longer word ("Benchmarking"), or a capitalised word of a title in
                # title case, where capitals say nothing.
                pos = low.find(head, after)
                continue
            if pos > 1 and text[pos - 1] == " ":
                span = _name_before(text, pos - 1)
                if span is not None and head == "games" and _plain_game_word(text[span[0] : span[1]]):
                    span = None
                if span is not None:
                    # "Arcade Learning Environment": a capitalised head is part of the name.
                    end = after if form[0].isupper() else span[1]
                    found.append((span[0], end, _head_type(head)))
            if form[0].islower() and text[after : after + 1] in (" ", ","):
                # "our new indoor dataset LIVL", "a ride-hailing platform, DidiChuxing".
                nxt = after + 1 + (text[after] == "," and text[after + 1 : after + 2] == " ")
                span = _name_at(text, nxt, min(len(text), nxt + 60))
                if span and _NAME.search(text[span[0] : span[1]]) or (
                    span and text[after] == "," and " " not in text[span[0] : span[1]]
                ):
                    found.append((span[0], span[1], _head_type(head)))
            pos = low.find(head, after)
    for marker in _LIST_MARKERS:
        pos = text.find(marker)
        while pos >= 0:
            intro = _LIST_HEAD_BEFORE.search(text, max(0, pos - 30), pos)
            if intro:
                head = intro.group(1).lower()
                type_ = "benchmark" if head in ("domains", "tasks") else _head_type(head)
                found.extend(_list_items(text, pos + len(marker), type_))
            pos = text.find(marker, pos + len(marker))
    return found


def _plain_game_word(name: str) -> bool:
    """One plain capitalised word or a letter before "games" names a kind of game, not a testbed:
    "Markov games", "Stackelberg games", "N-player games" (known ones such as Atari are in the
    resources; "StarCraft" or "Atari 2600" still count)."""
    return " " not in name and not _is_name_like(name) and (len(name) <= 2 or name[1:].islower())


def _list_items(text: str, pos: int, type_: str) -> list[tuple[int, int, str]]:
    return [
        (item.start(1), item.end(1), type_)
        for item in list_items(text, pos, _LIST_ITEM, _LIST_SEP, 8)
        if item.group(1).split(None, 1)[0].lower() not in _GENERIC_CAPS
    ]


def list_items(text: str, pos: int, item: re.Pattern[str], sep: re.Pattern[str],
               limit: int) -> Iterator[re.Match[str]]:
    """The items of a list starting at ``pos``: ``item`` matches, each but the last followed by a
    non-empty ``sep`` match, at most ``limit`` of them ("A, B and C")."""
    for _ in range(limit):
        found = item.match(text, pos)
        if found is None:
            return
        yield found
        between = sep.match(text, found.end())
        if between is None or between.end() == found.end():
            return
        pos = between.end()


_METHOD_LIST_MARKERS = (" such as ", " including ", " like ", "e.g.", " namely ")
_METHOD_LIST_HEAD = re.compile(
    r"(?<![\w-])(?:methods|algorithms|approaches|baselines|models|techniques|architectures|"
    r"frameworks|optimizers|solvers|LLMs|VLMs)\s*[(,]?\s*$",
    re.IGNORECASE,
)
_METHOD_LIST_ITEM = re.compile(
    r"(?:[A-Z][\w]*|[a-z]+[A-Z0-9][\w]*)(?:\.\d+)*(?:-[\w]+)*"
    r"(?:[ -][A-Z0-9][\w]*(?:\.\d+)*(?:-[\w]+)*){0,3}"
)
_METHOD_LIST_SEP = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")
_NOT_LIST_ITEM = frozenset(
    "The A An Our This These Those Both All Several Various Other Many Most Some Existing "
    "Standard Popular Recent Classical Traditional".split()
)


def method_list_items(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Capitalised names listed after a plural method noun: "previous methods such as Latent
    Plans or C-Bet", "strong policy models such as Meerkat", "baselines like X and Y".

    The counterpart of the benchmark and dataset lists of :func:`find_typed_heads`: what a paper
    lists as methods is a method unless a longer or known candidate says otherwise.

    Args:
        text: Title + blank line + abstract.
        start: Where to start looking (the abstract).

    Returns:
        ``(start, end)`` of each listed name.
    """
    out: list[tuple[int, int]] = []
    for marker in _METHOD_LIST_MARKERS:
        pos = text.find(marker, start)
        while pos >= 0:
            if _METHOD_LIST_HEAD.search(text, max(0, pos - 16), pos):
                item_pos = pos + len(marker)
                if marker == "e.g.":
                    # "methods, e.g. X", "methods (e.g., X" (one search for all)
                    item_pos += 2 if text.startswith(", ", item_pos) else 1
                    if text[item_pos - 1] != " ":
                        pos = text.find(marker, pos + len(marker))
                        continue
                for item in list_items(text, item_pos, _METHOD_LIST_ITEM, _METHOD_LIST_SEP, 6):
                    name = item.group().rstrip(".-")
                    if name.split(" ", 1)[0] not in _NOT_LIST_ITEM:
                        out.append((item.start(), item.start() + len(name)))
            pos = text.find(marker, pos + len(marker))
    return out


_GENERIC_CAPS = frozenset(
    "the a an our this these those we in on for of and to with both all several multiple various "
    "standard popular challenging existing public real-world diverse new novel first second third "
    "finally then however moreover specifically furthermore additionally also here thus therefore "
    "next further instead recently today given while unlike".split()
)


def _name_at(text: str, pos: int, limit: int) -> tuple[int, int] | None:
    """A name starting at ``pos``: a run of capitalised words / name tokens (minor words inside)."""
    match = _CAPRUN.match(text, pos, limit)
    if not match:
        return None
    name = match.group()
    tail = _MINOR_TAIL.search(name)
    if tail:
        name = name[: tail.start()]
    while name and name[-1] in ".-":
        name = name[:-1]
    if not name or name.split(None, 1)[0].lower() in _GENERIC_CAPS:
        return None
    return pos, pos + len(name)


_VERBS = ("propose", "introduce", "present", "develop", "design", "devise", "formulate",
          "contribute", "release", "build", "construct", "curate", "create", "call", "name", "term",
          "dub", "offer")
_VERB_ENDINGS = frozenset({"", "s", "d", "ed", "es"})


def _trie_pattern(words: Sequence[str]) -> str:
    """A regular expression for any of ``words`` (none a prefix of another), factored by their
    common prefixes ("p(?:ropose|resent)|..."): the regex engine rejects a branch at its first
    character, so a position where no word starts costs one test per distinct first letter
    instead of one per word (a quarter fewer instructions for the scan of
    :func:`_verb_positions`)."""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[:1], []).append(word[1:])
    branches = []
    for first, rests in groups.items():
        if len(rests) == 1:
            branches.append(re.escape(first + rests[0]))
        else:
            branches.append(re.escape(first) + "(?:" + _trie_pattern(rests) + ")")
    return "|".join(branches)


# No verb is a prefix of another, so at most one matches after a given space.
_VERB_AFTER_SPACE = re.compile(" (?:" + _trie_pattern(_VERBS) + ")")
_SUBJECT_BEFORE = re.compile(
    r"(?:\b[Ww]e|\b[Tt]his (?:paper|work|study|article|letter|report)|\b[Oo]ur (?:paper|work)|"
    r"\b[Hh]ere)(?:,?\s+[\w\-]+){0,3}?,?\s+$"
)
_APPOSITIVE_MARKERS = (", a ", ", an ", " -- a ", " -- an ", " \u2014 a ", ": a ", ", the first ")


def find_proposals(
    text: str, sentences: list[tuple[int, int]], title_len: int = 0
) -> list[tuple[int, int, str]]:
    """Names the paper introduces.

    Rules: "we propose/introduce/present X" (X right after the verb and its descriptors, or after
    "called/named/,/:" in the same clause), "X, a novel ...", and a title prefix "X: ..." that
    looks like a name.

    Args:
        text: Title + blank line + abstract (or any text).
        sentences: Sentence offsets from :func:`kg.extract.sentences.split_sentences`.
        title_len: Length of the title prefix of ``text`` (0 when there is none).

    Returns:
        ``(start, end, type)`` of each proposed name; type from the context or :data:`UNKNOWN`.
    """
    found: list[tuple[int, int, str]] = []
    title_name = find_title_name(text, title_len)
    if title_name:
        found.append(title_name)
    sent_ends = [e for _, e in sentences]
    for verb_end in _verb_positions(text):
        limit = _sentence_end(sent_ends, verb_end, len(text))
        clause_limit = min(limit, verb_end + 220)
        pos = _DESCRIPTOR.match(text, verb_end).end()
        span = _name_at(text, pos, clause_limit)
        if span is not None and _MODIFIER_AFTER.match(text, span[1]):
            span = None  # "a novel ERL algorithm, X": ERL modifies a noun, X is the name
        if span is None or not _looks_like_name(text[span[0] : span[1]]):
            span = None
            for naming in _NAMING.finditer(text, pos, clause_limit):
                marker = naming.group().strip()
                if marker in ("(", ",", ":") and _PREPOSITION.search(text, verb_end, naming.start()):
                    # "we learn X using a graph neural network (GNN)": the parenthesis names an
                    # object of the sentence, not the contribution.
                    break
                cand = _name_at(text, naming.end(), clause_limit)
                if cand and _looks_like_name(text[cand[0] : cand[1]]):
                    span = cand
                    break
        if span:
            found.append((span[0], span[1], _proposal_type(text, span, verb_end)))
    for marker in (" called ", " named ", " dubbed ", " termed ", " coined ", "(called ", "(named "):
        pos = text.find(marker)
        while pos >= 0:
            end = pos + len(marker)
            span = _name_at(text, end, min(len(text), end + 120))
            if span and _looks_like_name(text[span[0] : span[1]]):
                k = max(0, _sentence_start(sentences, pos))
                sentence = text[k:pos].lower()
                rest = text[pos : pos + 160].lower()
                if any(w in sentence for w in ("we ", "our ", "this paper", "this work")) or any(
                    w in rest for w in (" is proposed", " is introduced", " is presented")
                ):
                    found.append((span[0], span[1], _proposal_type(text, span, k)))
            pos = text.find(marker, end)
    for marker in _APPOSITIVE_MARKERS:
        pos = text.find(marker, title_len)
        while pos >= 0:
            if _APPOSITIVE.match(text, pos):
                name_end = pos
                if text[pos - 1 : pos] == ")":
                    # "X (ABC), a novel ...": the name stands before the parenthesis.
                    name_end = text.rfind("(", max(0, pos - 40), pos)
                span = _name_before(text, name_end, 8) if name_end > 0 else None
                if span and _looks_like_name(text[span[0] : span[1]]) and span[0] >= title_len:
                    found.append((span[0], span[1], _proposal_type(text, span, span[0])))
            pos = text.find(marker, pos + len(marker))
    found.extend(find_title_chunk_proposals(text, title_len, found))
    found.extend(find_lowercase_proposals(text, sentences, title_len, found))
    found.extend(find_our_noun_names(text, title_len, found))
    return found


_OUR_NOUN = re.compile(
    r"\b[Oo]ur\s+(?:(?:new|novel|proposed|resulting|overall|final)\s+)?(?:method|approach|"
    r"framework|algorithm|model|system|agent|technique|architecture|pipeline|solution|benchmark|"
    r"dataset|environment|suite|simulator)s?,?\s+(?:(?:called|named|dubbed|termed)\s+)?"
)


def find_our_noun_names(
    text: str, title_len: int = 0, found: Sequence[tuple[int, int, str]] = ()
) -> list[tuple[int, int, str]]:
    """Names the paper gives its own contribution: "Our method, Policy Adaptation via Language
    Optimization (PALO), combines ...", "our framework called X".

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title.
        found: Proposals found so far (overlapping ones are skipped).

    Returns:
        ``(start, end, type)`` of each name.
    """
    out: list[tuple[int, int, str]] = []
    for match in finditer_at(_OUR_NOUN, text, ("our", "Our"), title_len):
        span = _name_at(text, match.end(), min(len(text), match.end() + 120))
        if span is None or not _looks_like_name(text[span[0] : span[1]]):
            continue
        if any(s < span[1] and span[0] < e for s, e, _ in (*found, *out)):
            continue
        out.append((span[0], span[1], _proposal_type(text, span, match.start())))
    return out


_QUOTED = re.compile(r"(?:``|\"|\u201c)([^\"\u201d'`]{3,80}?)(?:''|\"|\u201d)")
_CALLED_BEFORE = re.compile(r"\b(?:called|named|dubbed|termed|coined)\s+(?:the\s+|a\s+)?$")
_LOWER_NAME = re.compile(r"[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){1,4}")
_LOWER_STOP = frozenset(
    "where which that to for with in and or is are as by of on from whose while when can using "
    "via the a an this we it".split()
)
_OUR_SENTENCE = re.compile(r"\b(?:[Ww]e|[Oo]ur|[Tt]his (?:paper|work|study|article))\b")


def find_lowercase_proposals(
    text: str,
    sentences: Sequence[tuple[int, int]],
    title_len: int = 0,
    found: Sequence[tuple[int, int, str]] = (),
) -> list[tuple[int, int, str]]:
    """Proposed names the capitalised-name rules miss: quoted and lower-case ones.

    In a sentence whose subject is the paper ("we", "our", "this paper"): a quoted Title-Case
    phrase (``Purely Periodic Policies''), and a quoted or plain lower-case phrase right after
    "called/named/termed" ("called dynamic policy gradient, where ...").

    Args:
        text: Title + blank line + abstract.
        sentences: Sentence offsets.
        title_len: Length of the title.
        found: Proposals found so far (overlapping ones are skipped).

    Returns:
        ``(start, end, type)`` of each name.
    """
    out: list[tuple[int, int, str]] = []

    def add(start: int, end: int) -> None:
        if any(s < end and start < e for s, e, _ in (*found, *out)):
            return
        k = _sentence_start(list(sentences), start)
        if not _OUR_SENTENCE.search(text, k, start):
            return
        out.append((start, end, _proposal_type(text, (start, end), start)))

    # Every quotation starts with one of three marks; most abstracts have none (three finds
    # cost a tenth of the regex scan).
    quoted = '"' in text or "``" in text or "\u201c" in text
    for match in _QUOTED.finditer(text, title_len) if quoted else ():
        phrase = match.group(1).strip()
        words = phrase.split()
        if not 2 <= len(words) <= 6 or phrase[-1:] in ".,;:":
            continue
        start = match.start(1) + match.group(1).find(phrase)
        called = _CALLED_BEFORE.search(text, max(0, match.start() - 20), match.start())
        if called or all(w[:1].isupper() or w in _MINOR_WORDS for w in words):
            add(start, start + len(phrase))
    for marker in (" called ", " named ", " termed ", " dubbed "):
        pos = text.find(marker, title_len)
        while pos >= 0:
            start = pos + len(marker)
            if text.startswith(("the ", "a "), start):
                start = text.find(" ", start) + 1
            match = _LOWER_NAME.match(text, start)
            if match:
                words = match.group().split()
                while words and words[-1] in _LOWER_STOP:
                    words.pop()
                if len(words) >= 2 and not any(w in _LOWER_STOP for w in words):
                    add(start, start + len(" ".join(words)))
            pos = text.find(marker, start)
    return out


_MINOR_WORDS = frozenset("of for with via and the to in on from a an".split())


def find_title_chunk_proposals(
    text: str, title_len: int, found: Sequence[tuple[int, int, str]] = ()
) -> list[tuple[int, int, str]]:
    """Title chunks the abstract introduces: "we propose policy-guided diffusion" under the
    title "Policy-Guided Diffusion".

    Lower-case proposals escape the capitalised-name rules; a chunk of the title (2-6 words between
    connectives) right after a proposal verb is the paper's contribution. Chunks that are generic
    phrases, broad areas or known resource names are not new.

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title.
        found: Proposals found so far (overlapping chunks are skipped).

    Returns:
        ``(start, end, type)`` of the abstract occurrences.
    """
    if title_len <= 0:
        return []
    verb_ends = _verb_positions(text)
    if not verb_ends:
        return []
    title = text[:title_len]
    pieces = []
    pos = 0
    for split_start, split_end, _ in _title_splits(title):
        pieces.append(title[pos:split_start].strip())
        pos = split_end
    pieces.append(title[pos:].strip())
    pieces = [p for p in pieces if 2 <= len(p.split()) <= 6]
    if not pieces:
        return []
    low = text.lower()
    out: list[tuple[int, int, str]] = []
    for verb_end in verb_ends:
        start = _DESCRIPTOR.match(text, verb_end).end()
        for piece in pieces:
            end = start + len(piece)
            if not low.startswith(piece.lower(), start) or text[end : end + 1].isalnum():
                continue
            # Asked only for a chunk the abstract has after a proposal verb: the lookup key
            # costs more than the rest of the rule.
            if not _new_phrase(piece):
                continue
            if any(s <= start < e for s, e, _ in (*found, *out)):
                continue
            out.append((start, end, _proposal_type(text, (start, end), verb_end)))
    return out


def _new_phrase(phrase: str) -> bool:
    """Whether a title chunk is neither a generic or broad phrase nor a known resource name."""
    generic, keys = _known_forms()
    return phrase.lower() not in generic and lookup_key(phrase) not in keys


@lru_cache(maxsize=1)
def _known_forms() -> tuple[frozenset[str], frozenset[str]]:
    """Generic + broad phrases, and lookup keys of every shipped resource name and alias."""
    from kg.resources import broad_terms, generic_terms, load_resources

    keys = frozenset(lookup_key(f) for e in load_resources() for f in (e.name, *e.aliases))
    return generic_terms() | broad_terms(), keys


_PREPOSITION = re.compile(r"\s(?:on|using|with|via|from|of|for|to|in|by|into|over|under)\s")
_MODIFIER_AFTER = re.compile(
    r"[ \t]+(?!(?:which|that|to|for|as|and|or|with|in|on|by|is|are|was|from|of|via|using|"
    r"based|where|whose|at|under|into|can|could|will|than|the|a|an|we)\b)[a-z]"
)


def _sentence_start(sentences: list[tuple[int, int]], pos: int) -> int:
    start = 0
    for s, _ in sentences:
        if s > pos:
            break
        start = s
    return start


# Cached for the last texts: find_proposals and find_title_chunk_proposals both ask for the
# same text.
@lru_cache(maxsize=4)
def _verb_positions(text: str) -> tuple[int, ...]:
    """End offsets of proposal verbs that have "we" / "this paper" as subject.

    A verb counts only after a space, so one scan for " <verb>" finds them all (a regex with a
    literal first character: half the time of a ``str.find`` loop per verb).
    """
    ends = []
    size = len(text)
    for match in _VERB_AFTER_SPACE.finditer(text):
        pos = match.start() + 1
        verb_end = end = match.end()
        while end < size and text[end].isalpha():
            end += 1
        if text[verb_end:end] in _VERB_ENDINGS:
            if _SUBJECT_BEFORE.search(text, max(0, pos - 45), pos) or _coordinated_we(text, pos):
                ends.append(end)
    return tuple(ends)


_AND_BEFORE = re.compile(r"\sand\s+(?:then\s+|further\s+|also\s+|instead\s+)?$")
_WE = re.compile(r"\b[Ww]e\b")


def _coordinated_we(text: str, pos: int) -> bool:
    """A verb coordinated with an earlier "we" of its sentence: "we challenge ... and propose X"."""
    if not _AND_BEFORE.search(text, max(0, pos - 20), pos):
        return False
    start = max(text.rfind(". ", 0, pos), text.rfind("\n", 0, pos), pos - 250, 0)
    return _WE.search(text, start, pos) is not None


def _looks_like_name(name: str) -> bool:
    """A proposed name has an inner capital, a digit, or at least two capitalised words."""
    if _NAME.search(name):
        return True
    words = name.split()
    caps = sum(1 for w in words if w[:1].isupper())
    if len(words) == 1:
        return len(name) > 2 and name[0].isupper() and name.lower() not in _GENERIC_CAPS
    return caps >= 2


def _proposal_type(text: str, span: tuple[int, int], verb_end: int) -> str:
    name = text[span[0] : span[1]]
    context = type_by_context(text, span[1])
    if context != UNKNOWN:
        return context
    form = type_by_form(name)
    if form != UNKNOWN:
        return form
    # "we present a new benchmark, X" -> the descriptor between the verb and the name.
    between = text[verb_end : span[0]].lower()
    for word in re.findall(r"[a-z]+", between):
        if word in _HEAD_TYPE:
            return _HEAD_TYPE[word]
    return UNKNOWN


def _sentence_end(sent_ends: list[int], pos: int, default: int) -> int:
    for end in sent_ends:
        if end > pos:
            return end
    return default


def find_title_name(text: str, title_len: int) -> tuple[int, int, str] | None:
    """The name before the colon of a title ("SimBa: Simplicity Bias for ..."), if it is one.

    A one-word prefix counts (unless it is an ordinary opener such as "Beyond"); a longer prefix
    counts when it contains a name token (``Decision S4``) or recurs in the abstract.

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title.

    Returns:
        ``(start, end, type)`` or None.
    """
    if title_len <= 0:
        return None
    title = text[:title_len]
    colon = title.find(":")
    if colon <= 0 or colon > 60:
        return None
    prefix = title[:colon].strip()
    start = title.find(prefix)
    words = prefix.split()
    if not words or len(words) > 6 or not prefix[0].isalnum():
        return None
    if len(words) == 1:
        if prefix.lower() in _TITLE_OPENERS or (prefix.islower() and not _NAME.search(prefix)):
            return None
    elif not _NAME.fullmatch(words[-1]) and not any(_NAME.fullmatch(w) for w in words):
        if not all(w[:1].isupper() or w in ("of", "for", "and", "the", "to", "via", "with") for w in words):
            return None
        abstract = text[title_len:]
        if prefix.lower() not in abstract.lower() or words[-1].lower() in TASK_HEADS:
            return None
    end = start + len(prefix)
    type_ = type_by_form(prefix)
    if type_ == UNKNOWN:
        type_ = _title_type(text, title_len, prefix)
    return start, end, type_


def _title_type(text: str, title_len: int, name: str) -> str:
    """Type of a title name from the rest of the title and the name's uses in the abstract."""
    after_colon = text[: title_len].split(":", 1)[1].lower()
    for word in after_colon.split()[:6]:
        if word in ("benchmark", "benchmarking", "suite", "environment", "simulator", "arena", "gym"):
            return "benchmark"
        if word in ("dataset", "corpus"):
            return "dataset"
    pos = text.find(name, title_len)
    while pos >= 0:
        ctx = type_by_context(text, pos + len(name))
        if ctx != UNKNOWN:
            return ctx
        pos = text.find(name, pos + len(name))
    return UNKNOWN


_TITLE_OPENERS = frozenset(
    "beyond towards toward revisiting rethinking benchmarking understanding on why how what when "
    "position survey review tutorial introduction editorial abstract erratum correction".split()
)


# "Task via/with/using Method": what follows these connectors is the means, not the problem (dev
# gold: 2 of 52 such title chunks are tasks, 14 methods).
_MEANS_CONNECTORS = frozenset("via using through by with leveraging based".split())
_TITLE_OPENERS_TASK = frozenset("is are do does can when why how what up down out".split())


def find_title_tasks(text: str, title_len: int) -> list[tuple[int, int]]:
    """Task phrases of the title: chunks between connectives with a task head noun, or after
    "for"/"in".

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title.

    Returns:
        ``(start, end)`` offsets inside the title.
    """
    if title_len <= 0:
        return []
    title = text[:title_len]
    found = []
    prev_connector = ""
    pos = 0
    pieces = []
    for split_start, split_end, connector in _title_splits(title):
        pieces.append((pos, split_start, prev_connector))
        prev_connector = connector
        pos = split_end
    pieces.append((pos, len(title), prev_connector))
    for start, end, connector in pieces:
        if connector in _MEANS_CONNECTORS:
            continue
        chunk = title[start:end]
        head = _TASK_STRIP_HEAD.match(chunk) if _may_have_head(chunk) else None
        if head:
            start += head.end()
            chunk = title[start:end]
        # The tail words end a chunk that has one: most chunks are not searched at all.
        tail = _TASK_STRIP_TAIL.search(chunk) if _may_have_tail(chunk) else None
        if tail:
            end = start + tail.start()
            chunk = title[start:end]
        words = chunk.split()
        if len(words) >= 3 and words[0].lower().endswith("ing") and words[-1].lower() in TASK_HEADS:
            # "Designing Calibration-Free Model Compression" -> the task is the object.
            start += len(words[0]) + 1
            words = words[1:]
        if words and words[0].lower() in _TITLE_OPENERS_TASK:
            start += len(words[0]) + 1
            words = words[1:]
        if not words or len(words) > 6:
            continue
        end = start + len(" ".join(words))
        last = words[-1].lower()
        if last in _NOT_TASK_WORDS or words[0].lower() in _GENERIC_CAPS:
            continue
        if len(words) == 1 and last not in TASK_HEADS:
            continue
        if last in TASK_HEADS or (connector in ("for", "in") and len(words) >= 2):
            found.append((start, end))
    return found


@Language.factory("kg_patterns")
class PatternMatcher(BatchedComponent):
    """spaCy component: ``doc.user_data["kg_patterns"]`` = {names, typed, proposed, title_tasks}.

    Needs ``doc.user_data["kg_sentences"]`` (from ``kg_sentences``) and reads the title length
    from ``doc.user_data["kg_title_len"]`` when set, else from the first blank line.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        title_len = title_length(text)
        sentences = doc.user_data.get("kg_sentences") or []
        # Context typing (type_by_context) is left to the resolver, for the names that survive.
        names = [(start, end, type_by_form(text[start:end])) for start, end in find_name_tokens(text)]
        # Plain tuples (not spans): the offsets are exact characters, and plain data is cheap
        # to build and survives multiprocessing.
        doc.user_data["kg_patterns"] = {
            "names": names,
            "typed": find_typed_heads(text),
            "proposed": find_proposals(text, sentences, title_len),
            "title_tasks": [(s, e, "task") for s, e in find_title_tasks(text, title_len)],
        }
        return doc

TITLE_SEPARATOR = "\n\n"


def title_length(text: str) -> int:
    """Length of the title in a ``title + "\\n\\n" + abstract`` text (0 if there is no title)."""
    pos = text.find(TITLE_SEPARATOR)
    return pos if pos > 0 else 0
