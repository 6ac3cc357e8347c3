"""Pattern rules for names no resource list holds, proposed names, typed heads and title tasks.

All rules are compiled regular expressions over the raw text (fast, offsets exact); the spaCy
component :class:`PatternMatcher` stores their results as span groups:

* ``kg_names``      acronyms, CamelCase and letter/digit names (DPPO, SimpleAR, pi2vec, GPT-4);
                    label = a type when a suffix or head noun says so, else ``unknown``;
* ``kg_typed``      "the X benchmark/dataset/environment/suite/simulator", lists after
                    "benchmarks such as ..." (label = type by the head noun);
* ``kg_proposed``   names the paper introduces ("we propose X", "X, a novel ...", title "X: ...");
                    label = type suggested by the context (``unknown`` if none);
* ``kg_title_tasks`` task phrases of the title ("... for Robot Manipulation").

Example:
    >>> from kg.extract.patterns import find_name_tokens
    >>> text = "We compare SimpleAR, DPPO and pi2vec with the Transformer."
    >>> [text[s:e] for s, e in find_name_tokens(text)]
    ['SimpleAR', 'DPPO', 'pi2vec']
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

UNKNOWN = "unknown"

# A token with an inner capital or a letter-digit mix: DPPO, SimpleAR, HarmoDT, pi2vec, GPT-4,
# Med-PRM, A2PR, o1. Greedy classes without nested alternation keep it linear.
_NAME = re.compile(
    r"(?<![\w\-./@])[A-Za-z0-9][a-z0-9]*(?:-[A-Za-z][a-z0-9]*)*[A-Z0-9][\w\-.+]*"
)
_NUMBERLIKE = re.compile(r"^(?:\d+(?:[.,]\d+)*[A-Za-z]{0,2}|[IVX]+|\d+(?:st|nd|rd|th)|[A-Z]\d?|\d+-\w+)$")
_STOP_NAMES = frozenset(
    """AI ML NLP CV RL DL GPU GPUs CPU CPUs TPU TPUs API APIs SOTA MDP MDPs POMDP POMDPs IID KL ODE
    ODEs PDE PDEs SDE SDEs US USA UK EU RGB RGB-D FPS URL PhD NP PAC OOD AUC ROC FLOPs FLOP CNN-based
    LLM-based RL-based II III IV VI VII XL XXL IoT HCI AGI QA IR MT ASR TTS OCR NER TD-based DoF
    DOF KPI KPIs SQL JSON XML HTML CSV GDP CO2 COVID-19 COVID AIME PDF LaTeX GitHub TL DR TL;DR""".split()
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

_PROPOSE = re.compile(
    r"\b(?:[Ww]e|[Tt]his (?:paper|work|study|article|letter|report)|[Oo]ur (?:paper|work))"
    r"(?:\s+[\w\-]+){0,3}?\s+(?:propose|introduce|present|develop|design|devise|formulate|"
    r"contribute|release|build|construct|curate|create|call|name|term|dub|offer)[sd]?\b"
)
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
    r"\s*(?:\([^()]{1,40}\)\s*)?,?\s*(?:(?:is|as)\s+)?(?:a|an|the)\s+(?:[\w\-,]+\s+){0,6}?"
    r"(dataset|benchmark|corpus|suite|environment|simulator|testbed|leaderboard|collection)s?\b"
)
_HEAD_AFTER = re.compile(
    r"\s+(benchmarks?|datasets?|environments?|suites?|simulators?|corpus|corpora|testbeds?|"
    r"leaderboard|games?|tasks?)\b"
)
_TYPED_HEAD = re.compile(
    r"(?<![\w\-])(" + _CAPWORD + r"(?:[\s\-](?:[A-Z0-9][\w.\-]*|v\d[\w.]*)){0,3})\s+"
    r"(benchmarks?|datasets?|environments?|suites?|simulators?|corpus|corpora|testbeds?|"
    r"leaderboard|games)\b"
)
_LIST_INTRO = re.compile(
    r"\b(benchmarks?|datasets?|environments?|suites?|simulators?|corpora|games|testbeds?|"
    r"domains|tasks)\s*(?:\(|,)?\s*(?:such as|including|like|e\.g\.,?|namely|i\.e\.,?|from|:)\s+"
)
_LIST_ITEM = re.compile(r"(" + _CAPWORD + r"(?:[\s\-](?:[A-Z0-9][\w.\-]*)){0,3})")
_LIST_SEP = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,\s*|\s+and\s+|\s+or\s+|\s*&\s*)")

# Title task phrases: chunks between connectives; kept when their head is a task noun, or when
# "for"/"in" introduces them.
_TITLE_SPLIT = re.compile(
    r"\s*[:?!,;]\s*|\s+(?:for|in|via|with|from|through|using|under|on|by|to|towards|of|and|across|"
    r"into|at|as|that|which|when|without|beyond|over|between|against|is|are|vs\.?|versus|"
    r"based|leveraging|while|where|meets|enables?|can|do|does|all|you|need)\s+",
    re.IGNORECASE,
)
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
    mining matching search""".split()
)
_TASK_STRIP_TAIL = re.compile(r"(?:\s+(?:tasks?|problems?|settings?|domains?|scenarios?|applications?))+$", re.IGNORECASE)
_TASK_STRIP_HEAD = re.compile(
    r"^(?:(?:a|an|the|on|towards|toward|efficient|effective|improved|improving|enhancing|"
    r"provably|scalable|simple|fast|robust|learning|rethinking|revisiting|understanding|"
    r"benchmarking|scaling|evaluating|optimizing|bridging|aligning|unifying|training|boosting|"
    r"advancing|accelerating|exploring|stabilizing|incentivizing|unlocking|fine-tuning)\s+)+",
    re.IGNORECASE,
)
_NOT_TASK_WORDS = frozenset(
    "policy policies method methods approach approaches framework model models network networks "
    "algorithm algorithms study survey case guide perspective roadmap power value efficacy "
    "laws law towards toward".split()
)


def find_name_tokens(text: str) -> list[tuple[int, int]]:
    """Tokens that look like names: acronyms, inner capitals, letter-digit mixes.

    Args:
        text: Any string.

    Returns:
        ``(start, end)`` offsets; numbers, units ("7B", "3D"), roman numerals and generic acronyms
        (AI, GPU, MDP, ...) are left out.
    """
    found = []
    for match in _NAME.finditer(text):
        token = match.group()
        end = match.end()
        while token and token[-1] in ".-+":
            token = token[:-1]
            end -= 1
        if len(token) < 2 or _NUMBERLIKE.match(token) or token in _STOP_NAMES:
            continue
        if token.endswith("s") and token[:-1] in _STOP_NAMES:
            continue
        found.append((match.start(), end))
    return found


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
    head = _HEAD_AFTER.match(window)
    if head:
        word = head.group(1).lower()
        if word.startswith("task"):
            return UNKNOWN
        return _head_type(word)
    appos = _APPOSITIVE_HEAD.match(window)
    if appos:
        return _head_type(appos.group(1).lower())
    return UNKNOWN


def _head_type(word: str) -> str:
    if word in _HEAD_TYPE:
        return _HEAD_TYPE[word]
    if word.rstrip("s") in _HEAD_TYPE:
        return _HEAD_TYPE[word.rstrip("s")]
    return "dataset" if word.startswith(("corp", "data", "coll")) else "benchmark"


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
    lowered_hit = ("enchmark" in text or "ataset" in text or "nvironment" in text
                   or "uite" in text or "imulator" in text or "orpus" in text or "ames" in text
                   or "estbed" in text or "orpora" in text)
    if not lowered_hit:
        return found
    for match in _TYPED_HEAD.finditer(text):
        name = match.group(1)
        first = name.split(None, 1)[0]
        if first.lower() in _GENERIC_CAPS:
            # "The MuJoCo benchmark" -> drop a sentence-initial article-like word.
            rest = name[len(first):].lstrip()
            if not rest:
                continue
            start = match.start(1) + (len(name) - len(rest))
            name = rest
        else:
            start = match.start(1)
        found.append((start, start + len(name), _head_type(match.group(2).lower())))
    for match in _LIST_INTRO.finditer(text):
        head = match.group(1).lower()
        type_ = "benchmark" if head in ("domains", "tasks") else _head_type(head)
        pos = match.end()
        for _ in range(8):
            item = _LIST_ITEM.match(text, pos)
            if not item:
                break
            if item.group(1).split(None, 1)[0].lower() not in _GENERIC_CAPS:
                found.append((item.start(1), item.end(1), type_))
            sep = _LIST_SEP.match(text, item.end())
            if not sep or sep.end() == item.end():
                break
            pos = sep.end()
    return found


_GENERIC_CAPS = frozenset(
    "the a an our this these those we in on for of and to with both all several multiple various "
    "standard popular challenging existing public real-world diverse new novel".split()
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
    for verb in _PROPOSE.finditer(text):
        limit = _sentence_end(sent_ends, verb.end(), len(text))
        clause_limit = min(limit, verb.end() + 220)
        pos = _DESCRIPTOR.match(text, verb.end()).end()
        span = _name_at(text, pos, clause_limit)
        if span is None or not _looks_like_name(text[span[0] : span[1]]):
            span = None
            for naming in _NAMING.finditer(text, pos, clause_limit):
                cand = _name_at(text, naming.end(), clause_limit)
                if cand and _looks_like_name(text[cand[0] : cand[1]]):
                    span = cand
                    break
        if span:
            found.append((span[0], span[1], _proposal_type(text, span, verb.end())))
    if ", a" in text or ", an" in text or " -- a" in text:
        for name in _CAPRUN.finditer(text):
            if not _APPOSITIVE.match(text, name.end()):
                continue
            span = _name_at(text, name.start(), name.end())
            if span and _looks_like_name(text[span[0] : span[1]]) and span[0] >= title_len:
                found.append((span[0], span[1], _proposal_type(text, span, span[0])))
    return found


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
    form = type_by_form(name)
    if form != UNKNOWN:
        return form
    context = type_by_context(text, span[1])
    if context != UNKNOWN:
        return context
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
    for word in re.findall(r"[a-z]+", after_colon)[:6]:
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
    for match in _TITLE_SPLIT.finditer(title):
        pieces.append((pos, match.start(), prev_connector))
        prev_connector = match.group().strip().lower()
        pos = match.end()
    pieces.append((pos, len(title), prev_connector))
    for start, end, connector in pieces:
        chunk = title[start:end]
        head = _TASK_STRIP_HEAD.match(chunk)
        if head:
            start += head.end()
            chunk = title[start:end]
        tail = _TASK_STRIP_TAIL.search(chunk)
        if tail:
            end = start + tail.start()
            chunk = title[start:end]
        words = chunk.split()
        if not words or len(words) > 6:
            continue
        last = words[-1].lower()
        if last in _NOT_TASK_WORDS or words[0].lower() in _GENERIC_CAPS:
            continue
        if len(words) == 1 and last not in TASK_HEADS:
            continue
        if last in TASK_HEADS or (connector in ("for", "in") and len(words) >= 2):
            found.append((start, end))
    return found


@Language.factory("kg_patterns")
class PatternMatcher:
    """spaCy component: span groups ``kg_names``, ``kg_typed``, ``kg_proposed``, ``kg_title_tasks``.

    Needs ``doc.user_data["kg_sentences"]`` (from ``kg_sentences``) and reads the title length
    from ``doc.user_data["kg_title_len"]`` when set, else from the first blank line.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        title_len = title_length(text)
        sentences = doc.user_data.get("kg_sentences") or []
        names = []
        for start, end in find_name_tokens(text):
            label = type_by_form(text[start:end])
            if label == UNKNOWN:
                label = type_by_context(text, end)
            names.append((start, end, label))
        groups = {
            "kg_names": names,
            "kg_typed": find_typed_heads(text),
            "kg_proposed": find_proposals(text, sentences, title_len),
            "kg_title_tasks": [(s, e, "task") for s, e in find_title_tasks(text, title_len)],
        }
        for key, items in groups.items():
            spans = []
            for start, end, label in items:
                span = doc.char_span(start, end, label=label, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
            doc.spans[key] = spans
        return doc


TITLE_SEPARATOR = "\n\n"


def title_length(text: str) -> int:
    """Length of the title in a ``title + "\\n\\n" + abstract`` text (0 if there is no title)."""
    pos = text.find(TITLE_SEPARATOR)
    return pos if pos > 0 else 0
