"""Combine the candidates of all rules into typed, non-overlapping mentions (pure Python).

The components leave plain tuples in ``doc.user_data``; the extractor hands them here.
Rules cooperate in a fixed order: abbreviation definitions take the type of a gazetteer entry or of their head noun, proposed names override what they contain, the longest of
overlapping candidates wins, names of unknown type take the type of the list they stand in,
generic phrases are dropped, and broad research areas stay tasks only when central.

Example:
    >>> from kg.extract.resolve import Candidate, drop_overlaps
    >>> a = Candidate(0, 28, "method", "abbreviation", 0.85)
    >>> b = Candidate(9, 28, "method", "gazetteer", 0.9)
    >>> [c.rule for c in drop_overlaps([a, b])]
    ['abbreviation']
"""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from operator import attrgetter
from typing import NamedTuple

from kg.extract.patterns import (
    BENCH_HEADS,
    DATA_HEADS,
    TASK_HEADS,
    UNKNOWN,
    method_list_items,
    search_last_words,
    type_by_context,
)

CONFIDENCE = {
    "gazetteer": 0.8,
    "abbreviation": 0.85,
    "proposal": 0.95,
    "head_noun": 0.6,
    "list": 0.65,
    "title_task": 0.5,
    "name": 0.7,
}
"""Confidence of a mention by the rule that found it: the share of the rule's mentions whose
text is a gold name or alias of the same group on the dev gold (``scripts/eval_dev.py``
papers 0-143), rounded; rules with few mentions (head_noun, list) are set conservatively."""

# Higher wins among candidates of the same length.
_PRIORITY = {"proposal": 6, "abbreviation": 5, "gazetteer": 4, "head_noun": 3, "list": 2,
             "title_task": 1, "name": 0}

_SEPARATOR = re.compile(r"^\s*(?:,|,?\s*and|,?\s*or|&|/)\s*$")
_EVAL_CONTEXT = re.compile(
    r"\b(?:experiments?|evaluat\w*|benchmarks?|results?|outperform\w*|achiev\w*|tested|"
    r"performance|environments?|tasks?|datasets?|state-of-the-art)\b",
    re.IGNORECASE,
)
_ON_BEFORE = re.compile(r"\b(?:on|in|across|over|using)\s+(?:the\s+)?(?:[\w\-]+\s+){0,2}$")
_WE_PROPOSE_BEFORE = re.compile(
    r"\b[Ww]e\s+(?:propose|introduce|present)\s+(?:(?:a|an|the)\s+)?(?:(?:new|novel)\s+)?$"
)
_OUR_BEFORE = re.compile(r"\b[Oo]ur\s+(?:new\s+|novel\s+|proposed\s+)?$")
_VARIANT = (r"(?:-(?:[Ii]nstruct|INSTRUCT|[Cc]hat|it|IT|[Bb]ase|hf|HF|v\d+(?:\.\d+)*)"
            r"|[ -](?:Pro|Ultra|Flash|Nano|Opus|Sonnet|Haiku|[Tt]urbo|[Mm]ini))")
_MODEL_SUFFIX = re.compile(
    r"(?:[ -]?v?\d+(?:\.\d+)*)?[ -]\d+(?:\.\d+)?[BbMm]" + _VARIANT + r"*(?![\w.-]?\w)"
    r"|" + _VARIANT + r"+(?![\w.-]?\w)"
)
"""A model size or variant right after a model name: " 8B", "-2-7B", "-9b-it", "-Instruct", " Pro"
(a product tier: "Gemini Pro", "GPT-4 Turbo", "Claude 3 Opus")."""
_MODEL_SIZE = re.compile(r"(?<![A-Za-z])\d+(?:\.\d+)?[BM](?![A-Za-z])")
_METHOD_HEAD_AFTER = re.compile(r"\s+(?:algorithm|method|framework|approach|architecture|technique)\b")
"""A singular method head right after an abbreviation definition: "... learning (SMFRL) algorithm"
names one algorithm ("(MAPF) algorithms" are algorithms for a problem)."""
_PROBLEM_AFTER = re.compile(r"\s+problems?\b")
_PROBLEM_HEADS = frozenset({"problem", "problems", "task", "tasks"})
_PROBLEM_SETTING_HEADS = frozenset({"bandit", "bandits"})
_CHALLENGE_HEADS = frozenset({"challenge", "challenges"})
_FORMALISM_TASK = re.compile(r"(?:\b(?:PO)?MDPs?|[Dd]ecision[ -][Pp]rocess(?:es)?)$")
"""A task chunk that names a formalism ("... for Continuous State-Space MDPs", "Confounded
POMDPs"): the guidelines put MDP/POMDP-style problem formalisms nowhere."""
_FORMALISM = re.compile(r"\bdecision[ -]process(?:es)?$", re.IGNORECASE)
"""A problem formalism ("Robust Markov decision processes (RMDPs)", "partially observable Markov
decision process"): the guidelines record MDP/POMDP-style formalisms as no concept at all."""
_METHODISH_TASK_FORMS = re.compile(
    r"(?:policy optimization|preference optimization|fine-tuning|finetuning|learning)$", re.IGNORECASE
)


class Candidate(NamedTuple):
    """A typed span of the combined text, before it becomes a :class:`kg.models.Mention`.

    A named tuple (immutable, fields by name) rather than a frozen dataclass: built for every
    rule hit of every paper, and a frozen dataclass's ``__init__`` costs three times as much.
    """

    start: int
    end: int
    type: str
    rule: str
    confidence: float
    canonical: str | None = None
    proposed: bool = False

    @property
    def length(self) -> int:
        """Span length in characters."""
        return self.end - self.start


def replace(cand: Candidate, **changes: object) -> Candidate:
    """``dataclasses.replace`` for a :class:`Candidate`, without its per-call field introspection
    (called for many candidates of every paper)."""
    get = changes.get
    return Candidate(
        get("start", cand.start),  # type: ignore[arg-type]
        get("end", cand.end),  # type: ignore[arg-type]
        get("type", cand.type),  # type: ignore[arg-type]
        get("rule", cand.rule),  # type: ignore[arg-type]
        get("confidence", cand.confidence),  # type: ignore[arg-type]
        get("canonical", cand.canonical),  # type: ignore[arg-type]
        get("proposed", cand.proposed),  # type: ignore[arg-type]
    )


def drop_overlaps(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Keep the longest of overlapping candidates (ties: by rule priority, then confidence).

    Args:
        candidates: Candidates in any order.

    Returns:
        Non-overlapping candidates in text order.
    """
    # Candidates only compete within a cluster of chained overlaps; most clusters hold a single
    # candidate, which needs no ranking. A cluster is a slice ``ordered[first:i]``.
    ordered = sorted(candidates, key=_START)
    kept: list[Candidate] = []
    first = 0
    cluster_end = -1
    for i, cand in enumerate(ordered):
        start, end = cand[0], cand[1]
        if end <= start:
            # An empty span overlaps nothing; where it goes among equal starts is up to the ranking.
            return _drop_overlaps_ranked(candidates)
        if start >= cluster_end and i:
            if i - first == 1:
                kept.append(ordered[first])
            else:
                _keep_best(ordered, first, i, kept)
            first = i
        if end > cluster_end:
            cluster_end = end
    if ordered:
        _keep_best(ordered, first, len(ordered), kept)
    return kept


_START = attrgetter("start")


def _rank(cand: Candidate) -> tuple[int, int, float, int]:
    """Sort key of :func:`drop_overlaps`: longest first, then rule priority, then confidence."""
    return (cand.start - cand.end, -_PRIORITY.get(cand.rule, 0), -cand.confidence, cand.start)


def _keep_best(ordered: list[Candidate], first: int, stop: int, kept: list[Candidate]) -> None:
    """Append the winners of the cluster of chained overlaps ``ordered[first:stop]`` (in text
    order) to ``kept``."""
    size = stop - first
    if size == 1:
        kept.append(ordered[first])
    elif size == 2:
        # Two overlapping spans: one wins (the first on a tie, as ``min`` would).
        a, b = ordered[first], ordered[first + 1]
        kept.append(b if _rank(b) < _rank(a) else a)
    else:
        kept.extend(_drop_overlaps_ranked(ordered[first:stop]))


def _drop_overlaps_ranked(candidates: Sequence[Candidate]) -> list[Candidate]:
    """:func:`drop_overlaps` by ranking all candidates and taking them greedily."""
    ranked = sorted(candidates, key=_rank)
    size = max((c.end for c in candidates), default=0)
    taken = bytearray(size)
    kept = []
    for cand in ranked:
        if taken.find(1, cand.start, cand.end) >= 0:
            continue
        taken[cand.start : cand.end] = b"\x01" * (cand.end - cand.start)
        kept.append(cand)
    kept.sort(key=_START)
    return kept


def head_type(phrase: str) -> str:
    """Type suggested by the last word of a multi-word long form.

    Args:
        phrase: E.g. "Arcade Learning Environment", "off-policy evaluation".

    Returns:
        ``benchmark``, ``dataset``, ``task`` or ``method``.
    """
    words = phrase.lower().replace("-", " ").split()
    if not words:
        return "method"
    last = words[-1]
    if last in BENCH_HEADS or last.rstrip("s") in BENCH_HEADS or last in _CHALLENGE_HEADS:
        # "the 2014 AudioVisual Emotion Recognition Challenge (AVEC)": a shared evaluation.
        return "benchmark"
    if last in DATA_HEADS:
        return "dataset"
    if last in _PROBLEM_HEADS or last in _PROBLEM_SETTING_HEADS:
        # "Restless multi-armed bandits (RMAB)": a problem setting, solved by methods.
        return "task"
    if last in TASK_HEADS or (last.endswith("s") and last[:-1] in TASK_HEADS):
        if last in ("optimization", "optimisation") and len(words) >= 2 and words[-2] in (
            "policy", "preference", "bayesian", "region",
        ):
            return "method"
        if last in ("inference", "search", "matching", "design", "composition") :
            return "method"
        return "task"
    return "method"


def resolve(
    text: str,
    title_len: int,
    sentences: Sequence[tuple[int, int]],
    gazetteer: Sequence[tuple[int, int, str, str]],
    abbreviations: Sequence[tuple[int, int, int, int]],
    names: Sequence[tuple[int, int, str]],
    typed: Sequence[tuple[int, int, str]],
    proposals: Sequence[tuple[int, int, str]],
    title_tasks: Sequence[tuple[int, int]],
    generic: frozenset[str] = frozenset(),
    links: Sequence[tuple[int, int]] = (),
    broad: frozenset[str] = frozenset(),
    parents: Mapping[str, frozenset[str]] | None = None,
    collections: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Turn the raw rule outputs of one text into final, non-overlapping candidates.

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title prefix.
        sentences: Sentence offsets.
        gazetteer: ``(start, end, type, canonical)`` gazetteer matches.
        abbreviations: ``(short_start, short_end, long_start, long_end)`` definitions.
        names: ``(start, end, label)`` name tokens (label may be ``unknown``).
        typed: ``(start, end, type)`` names typed by a head noun or list introduction.
        proposals: ``(start, end, label)`` names the paper introduces.
        title_tasks: ``(start, end)`` task phrases of the title.
        generic: Lower-cased phrases that are never concepts.
        links: ``(start, end)`` of URLs; nothing inside a URL is a concept.
        broad: Lower-cased broad research areas, kept as tasks only when central (see
            :func:`drop_broad_tasks`).
        parents: Lower-cased canonical task name -> lower-cased canonical names of its broader
            tasks (all ancestors).
        collections: Lower-cased names of known datasets and benchmarks -> type; an unknown
            name that extends one with a hyphenated suffix ("LIBERO-90") is a split or variant
            of it and gets its type.

    Returns:
        Candidates in text order, without overlaps, each with a final type.
    """
    cands: list[Candidate] = []
    # Only abbreviation definitions look gazetteer entries up by span.
    gaz_at = {(s, e): (t, c) for s, e, t, c in gazetteer} if abbreviations else {}
    lowered: str | None = None
    for s, e, t, c in gazetteer:
        if _inside_word(text, s):
            continue  # "semi-online Direct Preference Optimization" is no "online DPO"
        if t == "method":
            # "Llama 3" + " 8B", "Gemma-2" + "-9b-it": a model name with its size or variant.
            suffix = _MODEL_SUFFIX.match(text, e)
            if suffix is not None:
                e = suffix.end()
            if s > title_len and text[s : s + 1].isupper():
                left = search_last_words(_CAPITAL_MODIFIERS, text, max(title_len, s - 60), s, 3)
                start = left.start() if left is not None else s
                for word in _WORD.finditer(text, start, s):
                    if word.group() in _NOT_MODIFIER:
                        # "The MTGAE", "Original GoogLeNet": the name starts after the word.
                        start = word.end() + 1
                if start < s and not _sentence_initial(text, start):
                    cands.append(Candidate(start, e, t, "name", CONFIDENCE["name"]))
            low_mod = _word_before(_LOWER_MODIFIER, _LOWER_MODIFIER_CHARS, text, max(0, s - 25), s)
            if (low_mod is not None and low_mod.group(1) not in _NOT_LOWER_MODIFIER
                    and " " in text[s:e]):
                # A compound the abstract repeats is a term ("stateful policy gradient" twice);
                # a one-off adjective is description ("a stateful policy gradient").
                if lowered is None:
                    lowered = text.lower()
                if lowered.count(lowered[low_mod.start(1) : e]) >= 2:
                    cands.append(Candidate(low_mod.start(1), e, t, "name", CONFIDENCE["name"]))
        if t == "task":
            start = _task_modifiers_start(text, title_len, s)
            if start < s:
                cands.append(Candidate(start, e, t, "name", CONFIDENCE["name"]))
        cands.append(Candidate(s, e, t, "gazetteer", CONFIDENCE["gazetteer"], c))

    def overlaps_proposal(s: int, e: int) -> tuple[int, int, str] | None:
        for p in proposals:
            if s < p[1] and p[0] < e:
                return p
        return None

    short_info: dict[str, tuple[str, str | None]] = {}
    proposed_forms: set[str] = set()
    generic_shorts: set[str] = set()
    for ss, se, ls, le in abbreviations:
        short, long = text[ss:se], text[ls:le]
        if long.lower() in generic or short.lower() in generic:
            # "fine-tuning (FT)": the short form is as generic as its long form.
            generic_shorts.add(short)
            continue
        known = gaz_at.get((ls, le)) or gaz_at.get((ss, se))
        proposal = overlaps_proposal(ls, le) or overlaps_proposal(ss, se)
        if not known and (_METRIC_HEAD.search(long) or _FORMALISM.search(long)):
            # "Expected Conditional Risk Measures (ECRMs)", "Speech Intelligibility Index (SII)":
            # a metric; "Robust Markov decision processes (RMDPs)": a formalism. Neither is a
            # concept type of the guidelines.
            generic_shorts.add(short)
            continue
        if known:
            type_, canonical = known
        elif proposal is not None:
            type_ = proposal[2] if proposal[2] != UNKNOWN else "method"
            canonical = None
        else:
            type_ = head_type(long)
            ctx = type_by_context(text, se + 1)
            if ctx != UNKNOWN:
                type_ = ctx
            elif _PROBLEM_AFTER.match(text, se + 1):
                # "the Long-Term Hydrothermal Dispatch (LTHD) problem": the paper names a problem.
                type_ = "task"
            elif (type_ == "task" and _METHOD_HEAD_AFTER.match(text, se + 1)
                  and _METHODISH_TASK_FORMS.search(long)):
                # "Stackelberg mean-field reinforcement learning (SMFRL) algorithm" names one
                # algorithm; "a multi-agent motion planning (MAMP) algorithm" solves a task.
                type_ = "method"
            elif type_ == "benchmark" and _short_with_method_head(text, short):
                # "Stackelberg Mean Field Game (SMFG)" ... "the SMFG method": a game-theoretic
                # model, not a testbed.
                type_ = "method"
            canonical = None
        if (proposal is None and not known
                and search_last_words(_WE_PROPOSE_BEFORE, text, max(0, ls - 50), ls, 4)):
            # "we propose the dichotomy of control (DoC)": the paper's own, named contribution
            proposal = (ls, le, type_)
        if proposal is None and _OUR_BEFORE.search(text, max(0, ls - 12), ls):
            # "our adaptive agent (AdA)": the paper's own, named contribution.
            proposal = (ls, le, type_)
        if proposal is not None and type_ == "task":
            type_ = "method"
        if proposal is not None:
            proposed_forms.update((short.lower(), long.lower()))
        conf = CONFIDENCE["abbreviation"]
        cands.append(Candidate(ls, le, type_, "abbreviation", conf, canonical))
        cands.append(Candidate(ss, se, type_, "abbreviation", conf, canonical))
        short_info.setdefault(short, (type_, canonical))

    for s, e, t in typed:
        for part_start, part_end in _split_coordination(text, s, e):
            cands.append(Candidate(part_start, part_end, t, "head_noun", CONFIDENCE["head_noun"]))
    for s, e in method_list_items(text, title_len):
        cands.append(Candidate(s, e, "method", "list", CONFIDENCE["list"]))
    for s, e in problem_phrases(text, title_len):
        cands.append(Candidate(s, e, "task", "head_noun", CONFIDENCE["head_noun"]))
    capitalized = capitalized_method_names(text, title_len)
    if capitalized:
        # Known names are the gazetteer's ("Bayesian Optimization" keeps its canonical entry).
        known_at = bytearray(len(text) + 1)
        for s, e, _, _ in gazetteer:
            if not _inside_word(text, s):  # (dropped above, so it covers nothing)
                known_at[s:e] = b"\x01" * (e - s)
        for s, e in capitalized:
            if known_at.find(1, s, e) < 0:
                cands.append(Candidate(s, e, "method", "name", CONFIDENCE["name"]))

    for s, e, label in proposals:
        article = _ARTICLE.match(text, s, e)
        if article is not None and article.end() < e:
            s = article.end()  # "The AI Economist: ..." names the AI Economist
        type_ = label
        if type_ == UNKNOWN:
            inner = [c for c in cands if c.start >= s and c.end <= e and c.type != "task"]
            type_ = inner[0].type if len(inner) == 1 and inner[0].length == e - s else "method"
        proposed_forms.add(text[s:e].lower())
        cands.append(Candidate(s, e, type_, "proposal", CONFIDENCE["proposal"], proposed=True))

    # "the FJSP problem": an acronym naming a problem is a task wherever it occurs ("X tasks"
    # is left alone: "Meta-World tasks" names a benchmark's tasks).
    problems = {
        text[s:e] for s, e, label in names
        if label in (UNKNOWN, "method") and text[s:e].isupper() and _PROBLEM_AFTER.match(text, e)
    }
    # "the empirical measure SACo": a metric's name, wherever it occurs
    metrics = {
        text[s:e] for s, e, label in names
        if label == UNKNOWN and _METRIC_BEFORE.search(text, max(0, s - 20), s)
    }
    for s, e, label in names:
        token = text[s:e]
        if token in problems and token not in short_info:
            label = "task"
        if generic_shorts and (token in generic_shorts or token[:-1] in generic_shorts
                               or token + "s" in generic_shorts):
            continue
        info = short_info.get(token) or (short_info.get(token[:-1]) if token.endswith("s") else None)
        if info is not None:
            cands.append(Candidate(s, e, info[0], "abbreviation", CONFIDENCE["abbreviation"], info[1]))
        else:
            if label == UNKNOWN and token in metrics:
                continue
            if label == UNKNOWN and collections and "-" in token:
                label = _collection_variant(token, collections) or label
            if label != "method" and _MODEL_SIZE.search(token):
                # "Qwen2.5-7B-Instruct": a parameter count names a model.
                label = "method"
            cands.append(Candidate(s, e, label, "name", CONFIDENCE["name"]))

    for s, e in title_tasks:
        cands.append(Candidate(s, e, "task", "title_task", CONFIDENCE["title_task"]))

    if links:
        blocked = bytearray(len(text) + 1)
        for s, e in links:
            blocked[s:e] = b"\x01" * (e - s)
        cands = [c for c in cands if blocked.find(1, c.start, c.end) < 0]
    kept = drop_overlaps(cands)
    kept = [
        c for c in kept
        if c.type != "task" or _FORMALISM_TASK.search(text, c.start, c.end) is None
    ]
    kept = retype_by_head_noun(text, kept)
    kept = _type_unknowns(text, sentences, kept)
    kept = _drop_generic(text, kept, generic, title_generic_tasks(text, title_len, kept, generic))
    kept = _retype_tasks(text, kept, proposed_forms)
    kept = drop_spelled_out_proposals(text, title_len, kept, proposed_forms, abbreviations)
    early = _early_end(title_len, sentences, len(text)) if broad else None
    if broad:
        kept = drop_broad_tasks(text, title_len, kept, broad, parents or {}, early)
    kept = drop_means_tasks(text, kept)
    kept = select_tasks(text, title_len, sentences, kept, early)
    return _mark_proposed(text, kept, proposed_forms)


_CAPITAL_MODIFIERS = re.compile(
    r"(?<![\w\-])((?:[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s){1,3})$"
)
"""One to three capitalised words right before a known method in the abstract: "a Hessian-Aided
Recursive Policy Gradient" names a variant of policy gradient."""
_NOT_MODIFIER = frozenset(
    """The A An Our We This These Its In On For With By Using Unlike Original Standard Classical
    Traditional Conventional Existing Modern Recent Popular Novel New Simple Typical""".split()
)
_WORD = re.compile(r"\S+")
_METRIC_BEFORE = re.compile(r"\b(?:measures?|metrics?)\s+$", re.IGNORECASE)
_TASKS_AFTER = re.compile(r"\s+tasks\b")
_METRIC_HEAD = re.compile(
    r"\b(?:measures?|metrics?|index|indices|coefficient|ratios?|divergences?|distances?|"
    r"errors?|scores?|quality)$",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"(?:The|An?) (?=[A-Z0-9])")
_TASK_MODIFIER = re.compile(
    r"(?<![\w\-/])((?:[A-Za-z0-9]+-)+[A-Za-z0-9]+|[A-Za-z]*\d[A-Za-z0-9/]*|"
    r"[a-z]{3,}(?:al|ic|ive|ous|ar|ary)) $"
)
"""A word that narrows a known task right before it: a hyphenated compound ("non-rigid image
registration", "speech-based depression detection"), a word with a digit ("3D shape
reconstruction") or a lower-case adjective ("monocular depth estimation")."""
_LOWER_MODIFIER = re.compile(r"(?<![\w\-])([a-z][a-z\-]{2,}) $")
"""A lower-case word right before a multi-word known method; it joins the name when the text
repeats the compound and it is not a function word, verb or generic adjective
(:data:`_NOT_LOWER_MODIFIER`). On SciREX abstracts: "wide residual networks", "sinusoidal
positional encoding", "distributed experience replay"."""
_NOT_LOWER_MODIFIER = frozenset(
    """the and for with using via our their its this that these those from into than then
    standard vanilla classical conventional existing traditional popular typical original
    deep modern recent novel new simple based proposed learned trained use uses used apply
    applies applied train trains employ employs employed leverage leverages both each other
    such many various several two three multiple single same different prior previous which
    what whose where when while introduce introduces introduced propose proposes general generic
    common add adds added combine combines combined adopt adopts adopted extend extends extended
    improve improves improved""".split()
)
_NOT_TASK_MODIFIER = _NOT_LOWER_MODIFIER | frozenset(
    """real real-world large-scale small-scale state-of-the-art end-to-end potential important
    relevant efficient current natural fundamental critical crucial practical principal
    particular central essential significant difficult similar certain usual actual initial
    special social multi-task optimal suboptimal sub-optimal near-optimal basic additional final
    numerous effective extensive comprehensive expensive massive impressive off-the-shelf
    high-level low-level fine-grained well-known so-called""".split()
)
"""Words that do not narrow a known task: the method modifiers' stop words and generic
adjectives."""


_METHOD_HEADS = (" Optimi", " Algorithm", " Transformer", " Network")
_OPTIMI_ENDS = ("zation", "sation")
_CAPITALIZED_RUN = re.compile(r"(?:(?<=[ (])[A-Z][a-z]+(?:-[A-Za-z][a-z]*)* ){1,4}$")


def capitalized_method_names(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Title-case names in running text that end in a method head: "... compare Group Reward
    Policy Optimization objectives", "a Hessian Aided Transformer".

    A capitalised run in the middle of a sentence is a name; a method head ("Optimization",
    "Algorithm", "Transformer", "Network(s)") says which kind. Runs at a sentence start or after
    a function word (:data:`_NOT_MODIFIER`) start after it; known names are left to the gazetteer.

    Args:
        text: Title + blank line + abstract.
        start: Where to start looking (the abstract).

    Returns:
        ``(start, end)`` of each name.
    """
    out: list[tuple[int, int]] = []
    for head in _METHOD_HEADS:
        # " Optimization" and " Optimisation" with one search for both
        tails = _OPTIMI_ENDS if head == " Optimi" else ()
        for pos, end in _word_hits(text, head, start, tails):
            if not text[end : end + 1].isalnum():
                run = _CAPITALIZED_RUN.search(text, max(start, pos - 80), pos + 1)
                if run is not None:
                    run_start = run.start()
                    for word in _WORD.finditer(text, run_start, pos):
                        if word.group() in _NOT_MODIFIER:
                            run_start = word.end() + 1
                    if run_start <= pos and not _sentence_initial(text, run_start):
                        out.append((run_start, end))
    return out


def _word_hits(text: str, word: str, start: int,
               tails: tuple[str, ...] = ()) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each occurrence of ``word`` from ``start`` on, with one of ``tails``
    (required when given) and a plural "s" (optional) taken into the match; the search goes on
    after each match's end."""
    pos = text.find(word, start)
    while pos >= 0:
        end = pos + len(word)
        if tails:
            tail = next((t for t in tails if text.startswith(t, end)), None)
            if tail is None:
                pos = text.find(word, end)
                continue
            end += len(tail)
        if text[end : end + 1] == "s":
            end += 1
        yield pos, end
        pos = text.find(word, end)


_AND = re.compile(r",? and |, ")
_NUMBER_AFTER = re.compile(r" \d+\b")


def _split_coordination(text: str, s: int, end: int) -> list[tuple[int, int]]:
    """The names of a typed span that coordinates several ("two datasets, MSRII and UCF 101" ->
    MSRII, UCF 101); a span without "and" or a comma is returned as is.

    The capitalised run after a head noun may take in "and" between two names; a name ends at
    the coordination, and a number right after the last one still belongs to it ("UCF 101").
    """
    parts = []
    pos = s
    for match in _AND.finditer(text, s, end):
        parts.append((pos, match.start()))
        pos = match.end()
    if not parts:
        return [(s, end)]
    number = _NUMBER_AFTER.match(text, end)
    parts.append((pos, number.end() if number is not None else end))
    return [(a, b) for a, b in parts if b > a]


_PROBLEM_OF = re.compile(
    r"((?:[\w\-/']+ ){1,6}?[\w\-/']+?)"
    r"(?=[,.;:()]| (?:using|by|with|via|from|in|for|which|that|is|are|as|where|when|under|"
    r"without|through|into|to|and|or|has|have|can|remains|becomes)\b)"
)
"""The phrase after "the problem of" / "the task of", up to punctuation or a clause word."""
_PROBLEM_BEFORE = re.compile(
    r"(?<![\w-])(?:the|a|an|this|novel|new) ([a-z][\w\-/]* (?:[A-Za-z][\w\-/]* ){0,2}"
    r"[a-z][\w\-/]*) $"
)
"""The phrase between a determiner and "problem" / "task" ("the minimal labeling problem")."""
_PROBLEM_WORDS = (" problem", " task")
_OF_BEFORE = re.compile(r"(?<![\w-])(?:the|a) $")
_PROBLEM_STOP = frozenset(
    "of the a an and or to for in on as at by with from such range number variety series class "
    "set kind type this that these those its their our same new original given real-world "
    "challenging difficult important open simple joint resulting more".split()
)
_NOT_TASK_PROBLEM_HEADS = frozenset(
    "optimization optimisation programming minimization maximization approximation estimation "
    "learning inference training decision-making decision decisions".split()
)
_NOT_IN_PROBLEM = frozenset("that which was were is are be been this these".split())
_OBJECT_WORDS = frozenset(
    "policy policies model models method methods approach approaches framework frameworks "
    "algorithm algorithms network networks agent agents system systems".split()
)
_TASKISH = ("tion", "sion", "ing", "ment", "sis", "ance", "ence", "ity")


def problem_phrases(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Task phrases the text calls a problem or task: "the problem of segmenting sequential
    data", "the animated GIF description task", "the minimal labeling problem".

    Args:
        text: Title + blank line + abstract.
        start: Where to start looking (the abstract).

    Returns:
        ``(start, end)`` of each phrase.
    """
    out: list[tuple[int, int]] = []
    for word in _PROBLEM_WORDS:
        for pos, end in _word_hits(text, word, start):
            if text[end : end + 1].isalnum() or text[end : end + 1] == "-":
                continue  # part of a longer word: "tasking", "task-agnostic"
            if text.startswith(" of ", end) and _OF_BEFORE.search(text, max(0, pos - 4), pos + 1):
                match = _PROBLEM_OF.match(text, end + 4)
                if match is not None:
                    words = match.group(1).split()
                    if not (words[0].lower() in _PROBLEM_STOP or words[-1].lower() in _PROBLEM_STOP
                            or any(w in _NOT_IN_PROBLEM for w in words)
                            or words[-1].lower() in _OBJECT_WORDS):
                        # (not a clause, "ensuring that a scenario conforms", nor the object a
                        # paper learns, "learning optimal policy")
                        out.append((match.start(1), match.end(1)))
            before = _PROBLEM_BEFORE.search(
                text, _spaces_back(text, max(start, pos - 80), pos, 5), pos + 1
            )
            if before is not None:
                words = before.group(1).split()
                last = words[-1].lower()
                if (not any(w.lower() in _PROBLEM_STOP for w in words)
                        and last not in _NOT_TASK_PROBLEM_HEADS
                        and (last.endswith(_TASKISH) or last in TASK_HEADS)):
                    out.append((before.start(1), before.end(1)))
    out.sort()
    return out


def _spaces_back(text: str, lo: int, pos: int, count: int) -> int:
    """Just after the ``count``-th space before the space at ``pos`` (``lo`` when the text from
    ``lo`` has fewer), but not before ``lo``.

    :data:`_PROBLEM_BEFORE` ends at the space at ``pos`` and holds at most five spaces, all of
    them literal: no match starts before this point, so the search starts here instead of
    trying every position of the 80-character window (the look-behind still sees the text
    before it).
    """
    for _ in range(count):
        pos = text.rfind(" ", lo, pos)
        if pos < 0:
            return lo
    return pos + 1


def _inside_word(text: str, s: int) -> bool:
    """Whether a match at ``s`` starts inside a hyphenated word ("semi-online ...")."""
    return s > 1 and text[s - 1] == "-" and text[s - 2].isalpha()


def _collection_variant(token: str, collections: Mapping[str, str]) -> str | None:
    """Type of the known dataset or benchmark that ``token`` extends ("LIBERO-90" -> LIBERO's)."""
    head = token
    while "-" in head:
        head = head.rsplit("-", 1)[0]
        found = collections.get(head.lower())
        if found is not None:
            return found
    return None


def _task_modifiers_start(text: str, title_len: int, s: int) -> int:
    """Start of a known task (at ``s``) with up to two narrowing words before it (see
    :data:`_TASK_MODIFIER`); ``s`` when there are none."""
    start = s
    for _ in range(2):
        word = _word_before(_TASK_MODIFIER, _TASK_MODIFIER_CHARS, text, max(0, start - 40), start)
        if word is None or (start > title_len >= word.start()):
            break
        if word.group(1).lower() in _NOT_TASK_MODIFIER:
            break
        start = word.start(1)
    return start


_TASK_MODIFIER_CHARS = string.ascii_letters + string.digits + "/-"
_LOWER_MODIFIER_CHARS = string.ascii_lowercase + "-"


def _word_before(
    pattern: re.Pattern[str], chars: str, text: str, lo: int, end: int
) -> re.Match[str] | None:
    """``pattern.search(text, lo, end)`` for a pattern that matches a word made of ``chars``, then
    a space at the end, behind a lookbehind that rejects each of ``chars`` (:data:`_TASK_MODIFIER`,
    :data:`_LOWER_MODIFIER`).

    Such a match can only start where the run of ``chars`` before the space starts, so the search
    starts there instead of trying every position of the window (the lookbehind sees the text
    before ``pos``, so the result is the same).
    """
    if end - 1 > lo and text[end - 1] == " ":
        head = text[lo : end - 1]
        run_start = end - 1 - (len(head) - len(head.rstrip(chars)))
        if run_start > lo:
            return pattern.search(text, run_start, end)
    # A window the run fills, or a line break before the end (where ``$`` also matches): the
    # plain search.
    return pattern.search(text, lo, end)


def _sentence_initial(text: str, pos: int) -> bool:
    """Whether ``pos`` starts a sentence (where a capital says nothing)."""
    before = text[max(0, pos - 3) : pos].rstrip(" ")
    return before == "" or before.endswith((".", "!", "?", ":", "\n"))


def _short_with_method_head(text: str, short: str) -> bool:
    """Whether the text calls a short form a method somewhere ("the SMFG method")."""
    return re.search(r"(?<![\w-])" + re.escape(short) + _METHOD_HEAD_AFTER.pattern, text) is not None


def retype_by_head_noun(text: str, cands: list[Candidate]) -> list[Candidate]:
    """A known method name the text calls a dataset or benchmark is one: "the GQA dataset"
    (GQA is also Grouped-Query Attention). The explicit head noun beats the resource's type.

    Args:
        text: Title + blank line + abstract.
        cands: Non-overlapping candidates.

    Returns:
        The candidates, such gazetteer methods retyped (without their method canonical name).
    """
    out = []
    for cand in cands:
        if cand.type == "method" and cand.rule == "gazetteer":
            context = type_by_context(text, cand.end)
            if context in ("dataset", "benchmark"):
                cand = replace(cand, type=context, canonical=None)
        out.append(cand)
    return out


def _key(text: str) -> str:
    key = _KEYS.get(text)
    if key is None:
        low = text.lower().replace("-", " ")
        key = low[:-1] if low.endswith("s") else low
        if len(_KEYS) >= 100_000:
            _KEYS.clear()
        _KEYS[text] = key
    return key


_KEYS: dict[str, str] = {}
"""Memo of :func:`_key` (asked about 20 times per paper, mostly for recurring phrases)."""


def _retype_tasks(text: str, cands: list[Candidate], proposed: set[str]) -> list[Candidate]:
    """A task phrase that names a method elsewhere in the paper is that method.

    Title chunks such as "Diffusion Policy Policy Optimization" look like tasks but are the
    paper's own method when the abstract introduces them.
    """
    other: dict[str, Candidate] = {}
    known_tasks: dict[str, Candidate] = {}
    for cand in cands:
        if cand.type != "task":
            other.setdefault(_key(text[cand.start : cand.end]), cand)
        elif cand.canonical:
            known_tasks.setdefault(_key(text[cand.start : cand.end]), cand)
    out = []
    for cand in cands:
        if cand.type != "task" and not cand.canonical and not cand.proposed and known_tasks:
            known = known_tasks.get(_key(text[cand.start : cand.end]))
            if known is not None and text[cand.start : cand.end].lower() not in proposed:
                # Same words as a known task elsewhere in the paper: the resource's type wins.
                cand = replace(cand, type="task", canonical=known.canonical)
                out.append(cand)
                continue
        if cand.type == "task":
            low = text[cand.start : cand.end].lower()
            match = other.get(_key(low))
            if match is not None and cand.canonical and not match.proposed:
                # A known task keeps its resource type when another rule typed the same words.
                match = None
            if match is not None:
                cand = replace(cand, type=match.type, canonical=match.canonical)
            elif low in proposed:
                cand = replace(cand, type="method")
        out.append(cand)
    return out


def drop_spelled_out_proposals(
    text: str,
    title_len: int,
    cands: list[Candidate],
    proposed: set[str],
    abbreviations: Sequence[tuple[int, int, int, int]],
) -> list[Candidate]:
    """Drop title task chunks that spell out the paper's proposed name with its abbreviations
    expanded: title "... for Temporally-Correlated Episodic Reinforcement Learning" and abstract
    "we introduce ... Temporally-Correlated Episodic RL (TCE)" where "RL" is defined.

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title.
        cands: Non-overlapping candidates.
        proposed: Lower-cased proposed forms.
        abbreviations: ``(short_start, short_end, long_start, long_end)`` definitions.

    Returns:
        The candidates without such title task chunks.
    """
    if not proposed or not abbreviations:
        return cands
    long_of = {text[ss:se].lower(): text[ls:le].lower() for ss, se, ls, le in abbreviations}

    def expand(form: str) -> str:
        return " ".join(long_of.get(word, word) for word in form.split())

    expanded = {_key(expand(form)) for form in proposed}
    return [
        c for c in cands
        if not (c.type == "task" and c.end <= title_len and c.rule == "title_task"
                and _key(text[c.start : c.end]) in expanded)
    ]


def drop_broad_tasks(
    text: str,
    title_len: int,
    cands: list[Candidate],
    broad: frozenset[str],
    parents: Mapping[str, frozenset[str]],
    early: int | None = None,
) -> list[Candidate]:
    """Drop broad research areas as tasks unless they are central to the paper.

    The guidelines prefer the specific task phrase ("offline reinforcement learning" over "deep
    reinforcement learning"). A broad task stays when the title names it, or when the paper names
    no more specific task: no longer task phrase containing its words and no task whose resource
    entry has it as a broader concept. When ``early`` is given, a broad task that is neither in the
    title nor named at least twice with a mention before ``early`` (the first two abstract
    sentences) also goes when the paper names any other, non-broad task: it is mentioned in
    passing (on the dev gold, 6 of 7 such mentions were not a gold task).

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title.
        cands: Non-overlapping candidates.
        broad: Lower-cased broad areas (``kg.resources.broad_terms()``).
        parents: Lower-cased canonical task name -> lower-cased names of its broader tasks.
        early: End offset of the second abstract sentence, or None.

    Returns:
        The candidates without the mentions of broad tasks that are not central.
    """
    tasks = [c for c in cands if c.type == "task"]
    if len(tasks) < 2:
        return cands

    def names(cand: Candidate) -> set[str]:
        low = text[cand.start : cand.end].lower()
        out = {low, _key(low)}
        if cand.canonical:
            out.add(cand.canonical.lower())
        return out

    broad_keys: dict[str, set[str]] = {}
    in_title: set[str] = set()
    count: dict[str, int] = {}
    first: dict[str, int] = {}
    for cand in tasks:
        found = names(cand)
        if found & broad:
            key = _key(text[cand.start : cand.end])
            broad_keys.setdefault(key, set()).update(found)
            count[key] = count.get(key, 0) + 1
            first.setdefault(key, cand.start)
            if cand.end <= title_len:
                in_title.add(key)
    if not broad_keys:
        return cands
    drop = set()
    for key, forms in broad_keys.items():
        if key in in_title:
            continue
        passing = early is not None and not (count[key] >= 2 and first[key] < early)
        for other in tasks:
            other_key = _key(text[other.start : other.end])
            if other_key == key or other_key in broad_keys:
                continue
            if passing:
                drop.add(key)
                break
            ancestors = parents.get(other.canonical.lower(), frozenset()) if other.canonical else ()
            if _contains_words(other_key, key) or forms & set(ancestors):
                drop.add(key)
                break
    if not drop:
        return cands
    return [c for c in cands if c.type != "task" or _key(text[c.start : c.end]) not in drop]


def _contains_words(longer: str, shorter: str) -> bool:
    """Whether the words of ``shorter`` occur in ``longer`` in order ("offline model based
    reinforcement learning" contains "offline reinforcement learning")."""
    if shorter in longer:
        return True
    words = iter(longer.split())
    return all(word in words for word in shorter.split())


def _early_end(title_len: int, sentences: Sequence[tuple[int, int]], size: int) -> int:
    """End offset of the second abstract sentence (the whole text when shorter)."""
    abstract_sents = [s for s in sentences if s[0] > title_len]
    return abstract_sents[1][1] if len(abstract_sents) > 1 else size


_MEANS_BEFORE = re.compile(
    # The lookahead (the first letters of the verbs) lets most word starts fail at once instead
    # of trying every verb.
    r"\b(?=[uvwtblecai])"
    r"(?:using|uses?|via|with|through|by|leverag(?:e|es|ing)|employ(?:s|ing)?|adopt(?:s|ing)?|"
    r"appl(?:y|ies|ying)|combin(?:e|es|ing)|based on|incorporat(?:e|es|ing)|utiliz(?:e|es|ing))\s+"
    r"(?:(?:a|an|the|standard|existing|conventional|classical|recent|modern)\s+)?$",
    re.IGNORECASE,
)


def _means_before(text: str, start: int) -> bool:
    """Whether :data:`_MEANS_BEFORE` matches the 40 characters before ``start`` (a match ends
    the window and spans at most its last three words, "based on the ")."""
    before = text[max(0, start - 40) : start]
    return search_last_words(_MEANS_BEFORE, before, 0, len(before), 3) is not None


def drop_means_tasks(text: str, cands: list[Candidate]) -> list[Candidate]:
    """Drop task phrases the paper only ever names as a means ("using multi-task learning",
    "via uncertainty estimation"): a tool the paper uses is not the problem it addresses.

    Args:
        text: Title + blank line + abstract.
        cands: Non-overlapping candidates.

    Returns:
        The candidates without the mentions of such task phrases.
    """
    means: dict[str, bool] = {}
    for cand in cands:
        if cand.type == "task":
            key = _key(text[cand.start : cand.end])
            means[key] = means.get(key, True) and _means_before(text, cand.start)
    drop = {key for key, only_means in means.items() if only_means}
    if not drop:
        return cands
    return [c for c in cands if c.type != "task" or _key(text[c.start : c.end]) not in drop]


TASK_MIN_SCORE = 0.5
"""Score a task needs to be kept (see :func:`select_tasks`)."""
MAX_TASKS = 5
_SCORE_PER_MENTION = 0.5
"""Score of each mention of a task phrase (up to 3) in :func:`select_tasks`; nothing lowers a
score, so every phrase scores at least this much."""


def select_tasks(
    text: str,
    title_len: int,
    sentences: Sequence[tuple[int, int]],
    cands: list[Candidate],
    early: int | None = None,
) -> list[Candidate]:
    """Keep the central tasks of a paper (the guidelines ask for the 1-5 most central).

    A task phrase scores 3 when it is in the title, 1.5 when the paper defines an abbreviation
    for it, 0.5 per mention (up to 3), 0.5 when it occurs in the first two sentences of the
    abstract; phrases scoring at least :data:`TASK_MIN_SCORE` are kept, at most
    :data:`MAX_TASKS`.

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title.
        sentences: Sentence offsets.
        cands: Non-overlapping candidates.
        early: :func:`_early_end` of the text when the caller has it already.

    Returns:
        The candidates without the task mentions of phrases that did not make it.
    """
    groups: dict[str, list[Candidate]] = {}
    for cand in cands:
        if cand.type == "task":
            groups.setdefault(_key(text[cand.start : cand.end]), []).append(cand)
    if len(groups) <= MAX_TASKS and _SCORE_PER_MENTION >= TASK_MIN_SCORE:
        # Every phrase scores at least one mention's worth and there is room for all of them
        # (true for about 9 in 10 papers): nothing to rank.
        return cands
    if early is None:
        early = _early_end(title_len, sentences, len(text))
    scores = {}
    for key, members in groups.items():
        score = _SCORE_PER_MENTION * min(len(members), 3)
        if any(c.end <= title_len for c in members):
            score += 3.0
        if any(c.rule == "abbreviation" for c in members):
            score += 1.5
        if any(title_len < c.start < early for c in members):
            score += 0.5
        if " " in key or "-" in text[members[0].start : members[0].end]:
            score += 0.25
        scores[key] = score
    ranked = sorted(scores, key=lambda k: (-scores[k], groups[k][0].start))
    chosen = {k for k in ranked[:MAX_TASKS] if scores[k] >= TASK_MIN_SCORE}
    return [
        c for c in cands if c.type != "task" or _key(text[c.start : c.end]) in chosen
    ]


def _type_unknowns(
    text: str, sentences: Sequence[tuple[int, int]], cands: list[Candidate]
) -> list[Candidate]:
    """Give names of unknown type the type of their list, or of their evaluation context."""
    if not any(c.type == UNKNOWN for c in cands):
        return cands
    out = list(cands)
    still_unknown = False
    for i, cand in enumerate(out):
        if cand.type == UNKNOWN:
            context = type_by_context(text, cand.end)
            if context != UNKNOWN:
                out[i] = replace(cand, type=context, confidence=CONFIDENCE["head_noun"])
            else:
                still_unknown = True
    if not still_unknown:
        return out  # the passes below only retype what is still unknown
    _type_unknowns_by_list(text, out)
    starts: list[int] | None = None
    for i, cand in enumerate(out):
        if cand.type != UNKNOWN:
            continue
        # Still unknown: the first loop found no context type for this very candidate (the list
        # pass only turns unknowns into known types), so type_by_context is not asked again.
        # (a slice: its start is a word boundary to the pattern, wherever it cuts the text)
        before = text[max(0, cand.start - 40) : cand.start]
        if search_last_words(_ON_BEFORE, before, 0, len(before), 4):
            if starts is None:
                starts = [s for s, _ in sentences]
            k = bisect_right(starts, cand.start) - 1
            sent = text[sentences[k][0] : sentences[k][1]] if k >= 0 else ""
            if _EVAL_CONTEXT.search(sent) and "benchmark" in sent.lower():
                out[i] = _with_type(cand, "benchmark")
                continue
        if _TASKS_AFTER.match(text, cand.end):
            # "AntropicHH tasks", "ALFWorld tasks": the tasks of a named suite
            out[i] = _with_type(cand, "benchmark")
        else:
            out[i] = _with_type(cand, "method")
    return out


def _type_unknowns_by_list(text: str, cands: list[Candidate]) -> None:
    """Give the unknowns of a connected run "A, B and C" the majority known type of the run
    (tasks do not count), in place.

    Only runs holding an unknown matter, so each run is found by walking out from an unknown.
    """
    i = 0
    while i < len(cands):
        if cands[i].type != UNKNOWN:
            i += 1
            continue
        first = i
        while first > 0 and _SEPARATOR.match(text[cands[first - 1].end : cands[first].start]):
            first -= 1
        last = i
        while last + 1 < len(cands) and _SEPARATOR.match(
            text[cands[last].end : cands[last + 1].start]
        ):
            last += 1
        known = [c.type for c in cands[first : last + 1] if c.type not in (UNKNOWN, "task")]
        if known:
            majority = max(sorted(set(known)), key=known.count)  # ties: by name, not hash order
            for j in range(first, last + 1):
                if cands[j].type == UNKNOWN:
                    cands[j] = replace(
                        cands[j], type=majority, rule="list", confidence=CONFIDENCE["list"]
                    )
        i = last + 1


def _with_type(cand: Candidate, type_: str) -> Candidate:
    """``replace(cand, type=type_)``, the most frequent change, without keyword handling."""
    return Candidate(cand.start, cand.end, type_, cand.rule, cand.confidence, cand.canonical,
                     cand.proposed)


def title_generic_tasks(
    text: str, title_len: int, cands: Sequence[Candidate], generic: frozenset[str]
) -> set[tuple[int, int]]:
    """Title task chunks of two or more words that are generic phrases but the only task the
    title names ("On-Policy Model Errors in Reinforcement Learning"): the paper's central problem,
    as a broad area is when nothing more specific is named.

    Args:
        text: Title + blank line + abstract.
        title_len: Length of the title.
        cands: Non-overlapping candidates.
        generic: Lower-cased generic phrases.

    Returns:
        ``(start, end)`` of the title chunks to keep despite being generic.
    """
    title_tasks = [c for c in cands if c.type == "task" and c.end <= title_len]
    chunks = [c for c in title_tasks if c.rule == "title_task"
              and len(text[c.start : c.end].split()) >= 2
              and _is_generic(text[c.start : c.end].lower(), generic)]
    if len(chunks) != 1 or any(
        c is not chunks[0] and not _is_generic(text[c.start : c.end].lower(), generic)
        for c in title_tasks
    ):
        return set()
    return {(chunks[0].start, chunks[0].end)}


def _is_generic(low: str, generic: frozenset[str]) -> bool:
    return low in generic or low.rstrip("s") in generic


def _drop_generic(
    text: str,
    cands: list[Candidate],
    generic: frozenset[str],
    keep: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset(),
) -> list[Candidate]:
    if not generic:
        return cands
    kept = []
    for cand in cands:
        low = text[cand.start : cand.end].lower()
        if cand.rule != "abbreviation" and (low in generic or low.rstrip("s") in generic):
            if (cand.start, cand.end) not in keep:
                continue
        kept.append(cand)
    return kept


def _mark_proposed(text: str, cands: list[Candidate], forms: set[str]) -> list[Candidate]:
    """Every mention of a proposed name (or of its abbreviation partner) is proposed."""
    if not forms:
        return cands
    out = []
    for cand in cands:
        low = text[cand.start : cand.end].lower()
        if not cand.proposed and cand.type != "task" and (low in forms or low.rstrip("s") in forms):
            cand = replace(cand, proposed=True)
        out.append(cand)
    return out
