"""Pattern rules, sentence splitting and gazetteer matching (pure functions of kg.extract)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from kg.extract.gazetteer import GazetteerEntry, build_matchers, case_sensitive, match_gazetteer
from kg.extract.patterns import (
    find_name_tokens,
    find_proposals,
    find_title_name,
    find_title_tasks,
    find_typed_heads,
)
from kg.extract.resolve import Candidate, drop_overlaps, head_type
from kg.extract.sentences import split_sentences

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hf-papers-policy.txt"


def names(text: str) -> list[str]:
    return [text[s:e] for s, e in find_name_tokens(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We compare SimpleAR and HarmoDT.", ["SimpleAR", "HarmoDT"]),
        ("Acronyms DPPO, ICRT and A2PR.", ["DPPO", "ICRT", "A2PR"]),
        ("Lower-case pi2vec and o1 count.", ["pi2vec", "o1"]),
        ("Hyphens: Med-PRM, GPT-4 and Llama-3.1-70B-it.", ["Med-PRM", "GPT-4", "Llama-3.1-70B-it"]),
        ("Affixes: iLQR-like, VAE-based and non-AFT.", ["iLQR", "VAE", "AFT"]),
        ("Slashes PPO/TRPO.", ["PPO", "TRPO"]),
        ("Not names: The Transformer, 2023, 7B, 3D, AI, GPU, MDPs, e.g. R^2.", []),
    ],
)
def test_patterns_name_tokens(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def proposals(text: str, title_len: int = 0) -> list[tuple[str, str]]:
    return [(text[s:e], t) for s, e, t in find_proposals(text, split_sentences(text), title_len)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Motivated by this, we present SimBa, an architecture for deep RL.", [("SimBa", "unknown")]),
        ("We propose In-Context Robot Transformer (ICRT), a causal transformer.",
         [("In-Context Robot Transformer", "unknown")]),
        ("In this work, we introduce a novel ERL algorithm, Temporally-Correlated Episodic RL (TCE), "
         "which works.", [("Temporally-Correlated Episodic RL", "unknown")]),
        ("We also present XThreatBench, a specialized multilingual dataset of prompts.",
         [("XThreatBench", "dataset"), ("XThreatBench", "dataset")]),
        ("Moreover, we provide a new dataset (called PosterErase), which contains posters.",
         [("PosterErase", "dataset")]),
        ("Prior work proposed PPO. We compare against it.", []),
        ("In this work, we challenge the prevailing notion and propose Negative-aware Fine-Tuning "
         "(NFT) -- a supervised approach.", [("Negative-aware Fine-Tuning", "unknown")]),
        ("We study PPO. Prior work clipped the ratio and proposed Trust Region Updates.", []),
    ],
)
def test_patterns_proposals(text: str, expected: list[tuple[str, str]]) -> None:
    assert proposals(text) == expected


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        ("SimBa: Simplicity Bias for Scaling Up Parameters", "We present SimBa.", ("SimBa", "unknown")),
        ("ARLBench: Flexible and Efficient Benchmarking for HPO", "A benchmark.", ("ARLBench", "benchmark")),
        ("Decision S4: Efficient Sequence-Based RL", "We study RL.", ("Decision S4", "unknown")),
        ("Beyond Stationarity: Convergence Analysis", "We study it.", None),
        ("All Roads Lead to Likelihood: The Value of RL", "We study it.", None),
    ],
)
def test_patterns_title_name(title: str, abstract: str, expected: tuple[str, str] | None) -> None:
    text = title + "\n\n" + abstract
    found = find_title_name(text, len(title))
    assert (None if found is None else (text[found[0] : found[1]], found[2])) == expected


def test_patterns_typed_heads() -> None:
    text = ("We test on the D4RL benchmark and the Arcade Learning Environment, on datasets such as "
            "MedQA and PubMedQA, on our new indoor dataset LIVL and on MuJoCo-based benchmarks.")
    found = {(text[s:e], t) for s, e, t in find_typed_heads(text)}
    assert found == {("D4RL", "benchmark"), ("Arcade Learning Environment", "benchmark"),
                     ("MedQA", "dataset"), ("PubMedQA", "dataset"), ("LIVL", "dataset"),
                     ("MuJoCo", "benchmark")}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Language-Conditioned Imitation Learning for Robot Manipulation Tasks",
         ["Language-Conditioned Imitation Learning", "Robot Manipulation"]),
        ("You Only Prune Once: Designing Calibration-Free Model Compression With Policy Learning",
         ["Calibration-Free Model Compression"]),
        # What follows via/with/using is the means, not the task.
        ("Policy Compliance Detection via Expression Tree Inference",
         ["Policy Compliance Detection"]),
        ("Validate on Sim, Detect on Real -- Model Selection for Domain Randomization",
         ["Model Selection", "Domain Randomization"]),
    ],
)
def test_patterns_title_tasks(title: str, expected: list[str]) -> None:
    text = title + "\n\nAbstract."
    assert [text[s:e] for s, e in find_title_tasks(text, len(title))] == expected


def test_patterns_sentences_respect_abbreviations_and_blank_lines() -> None:
    text = "A Title\n\nWe use PPO, e.g. on Atari. It works (see Fig. 3). Results are 3.5 times better! Done."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "A Title", "We use PPO, e.g. on Atari.", "It works (see Fig. 3).",
        "Results are 3.5 times better!", "Done.",
    ]


ENTRIES = [
    GazetteerEntry("policy gradient", "method", ("PG",)),
    GazetteerEntry("natural policy gradient", "method", ("NPG",)),
    GazetteerEntry("MATH", "dataset"),
    GazetteerEntry("DeepMind Control Suite", "benchmark", ("DMC",)),
]


def gaz(text: str) -> list[tuple[str, str, str]]:
    nlp = spacy.blank("en")
    matcher = build_matchers(nlp, ENTRIES)
    doc = nlp(text)
    return [(text[s:e], t, c) for s, e, t, c in match_gazetteer(doc, matcher, ENTRIES)]


def test_gazetteer_longest_match_wins() -> None:
    assert gaz("We use the Natural Policy Gradient here.") == [
        ("Natural Policy Gradient", "method", "natural policy gradient")
    ]


def test_gazetteer_plural_and_alias() -> None:
    assert gaz("Policy gradients and NPG.") == [
        ("Policy gradients", "method", "policy gradient"),
        ("NPG", "method", "natural policy gradient"),
    ]


def test_gazetteer_case_sensitive_short_names() -> None:
    assert gaz("We study math reasoning on MATH.") == [("MATH", "dataset", "MATH")]
    assert gaz("Results on the Deepmind control suite.") == [
        ("Deepmind control suite", "benchmark", "DeepMind Control Suite")
    ]


@pytest.mark.parametrize(
    ("form", "expected"),
    [("PPO", True), ("MuJoCo", True), ("GPT-4", True), ("Transformer", False),
     ("policy gradient", False), ("DeepMind Control Suite", False)],
)
def test_gazetteer_case_sensitivity_rule(form: str, expected: bool) -> None:
    assert case_sensitive(form) is expected


def test_resolve_longest_candidate_wins_then_priority() -> None:
    long = Candidate(0, 30, "method", "abbreviation", 0.85)
    inner = Candidate(10, 30, "method", "gazetteer", 0.9)
    same_span_name = Candidate(40, 44, "method", "name", 0.5)
    same_span_gaz = Candidate(40, 44, "dataset", "gazetteer", 0.9)
    kept = drop_overlaps([inner, same_span_name, long, same_span_gaz])
    assert [(c.start, c.rule) for c in kept] == [(0, "abbreviation"), (40, "gazetteer")]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("Arcade Learning Environment", "benchmark"), ("off-policy evaluation", "task"),
     ("Proximal Policy Optimization", "method"), ("job-shop scheduling problem", "task"),
     ("Dialogue State Tracking Corpus", "dataset"), ("graph neural network", "method")],
)
def test_resolve_head_type(phrase: str, expected: str) -> None:
    assert head_type(phrase) == expected


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        ("Policy-Guided Diffusion", "As an alternative, we propose policy-guided diffusion.",
         ["policy-guided diffusion"]),
        ("Policy Smoothing for Provably Robust RL", "Here we propose a new policy smoothing method.",
         ["policy smoothing"]),
        # Broad areas and known resource names are not the paper's contribution.
        ("Contrastive Learning for Robots", "We propose contrastive learning for robots.", []),
        ("Policy Smoothing for Robust RL", "We study policy smoothing.", []),
    ],
)
def test_patterns_title_chunk_proposals(title: str, abstract: str, expected: list[str]) -> None:
    from kg.extract.patterns import find_title_chunk_proposals

    text = title + "\n\n" + abstract
    found = find_title_chunk_proposals(text, len(title))
    assert [text[s:e] for s, e, _ in found] == expected
    assert all(s > len(title) for s, _, _ in found)


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("We design a class of ``Purely Periodic Policies'' that set a period.",
         ["Purely Periodic Policies"]),
        ("This paper introduces a method called dynamic policy gradient, where the parameters "
         "are trained backwards in time.", ["dynamic policy gradient"]),
        # Not the paper's own: no first-person subject, or a plain quoted lower-case phrase.
        ("Prior work called it dynamic policy gradient, as in control.", []),
        ("We open the \"black box\" of policy updates.", []),
    ],
)
def test_patterns_lowercase_proposals(abstract: str, expected: list[str]) -> None:
    from kg.extract.patterns import find_lowercase_proposals

    title = "A Title"
    text = title + "\n\n" + abstract
    found = find_lowercase_proposals(text, split_sentences(text), len(title))
    assert [text[s:e] for s, e, _ in found] == expected


def test_patterns_typed_head_name_does_not_cross_title_break() -> None:
    text = "Learning in Mean Field Games\n\nMean-field games have been used widely."
    spans = [text[s:e] for s, e, _ in find_typed_heads(text)]
    assert all("\n" not in span for span in spans)


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("Our method, Policy Adaptation via Language Optimization (PALO), combines demonstrations.",
         [("Policy Adaptation via Language Optimization", "unknown")]),
        ("We release our benchmark, called RoboArena, with 40 tasks.", [("RoboArena", "benchmark")]),
        ("Our method, which is simple, works well.", []),
    ],
)
def test_patterns_our_noun_names(abstract: str, expected: list[tuple[str, str]]) -> None:
    from kg.extract.patterns import find_our_noun_names

    text = "A Title\n\n" + abstract
    assert [(text[s:e], t) for s, e, t in find_our_noun_names(text, 7)] == expected


def test_resolve_drops_tasks_named_only_as_means() -> None:
    from kg.extract.resolve import drop_means_tasks

    text = "We solve job-shop scheduling using multi-task learning; job-shop scheduling is hard."
    spans = [("job-shop scheduling", 9), ("multi-task learning", 35), ("job-shop scheduling", 56)]
    cands = [Candidate(s, s + len(t), "task", "gazetteer", 0.8) for t, s in spans]
    assert all(text[c.start : c.end] == t for c, (t, _) in zip(cands, spans))
    kept = drop_means_tasks(text, cands)
    assert [text[c.start : c.end] for c in kept] == ["job-shop scheduling", "job-shop scheduling"]


def test_patterns_typed_heads_database_and_sets() -> None:
    text = ("We train on the KITTI training set, test on the MAFL test set, and use the IRMA "
            "database, the Yelp Business data sets and the ClueWeb09 collection.")
    found = {(text[s:e], t) for s, e, t in find_typed_heads(text)}
    assert found == {("KITTI", "dataset"), ("MAFL", "dataset"), ("IRMA", "dataset"),
                     ("Yelp Business", "dataset"), ("ClueWeb09", "dataset")}


def test_resolve_head_noun_retypes_known_method() -> None:
    from kg.extract.resolve import retype_by_head_noun

    text = "We evaluate on the GQA dataset and use GQA layers."
    cands = [Candidate(19, 22, "method", "gazetteer", 0.8, "Grouped-Query Attention"),
             Candidate(39, 42, "method", "gazetteer", 0.8, "Grouped-Query Attention")]
    out = retype_by_head_noun(text, cands)
    assert [(c.type, c.canonical) for c in out] == [("dataset", None),
                                                    ("method", "Grouped-Query Attention")]


def test_resolve_generic_title_chunk_kept_when_only_title_task() -> None:
    from kg.extract.resolve import title_generic_tasks

    generic = frozenset({"reinforcement learning", "learning"})
    title = "On-Policy Model Errors in Reinforcement Learning"
    text = title + "\n\nAbstract."
    rl = Candidate(26, 48, "task", "title_task", 0.5)
    assert text[rl.start : rl.end] == "Reinforcement Learning"
    assert title_generic_tasks(text, len(title), [rl], generic) == {(26, 48)}
    other = Candidate(0, 9, "task", "title_task", 0.5)  # a specific task in the title wins
    assert title_generic_tasks(text, len(title), [other, rl], generic) == set()


def test_patterns_games_need_a_name() -> None:
    text = "We study Markov games and N-player games, and test on StarCraft games."
    found = {(text[s:e], t) for s, e, t in find_typed_heads(text)}
    assert found == {("StarCraft", "benchmark")}


def test_resolve_drops_title_chunk_spelling_out_proposed_name() -> None:
    from kg.extract.resolve import drop_spelled_out_proposals

    title = "Step-based Updates for Episodic Reinforcement Learning"
    abstract = "Reinforcement learning (RL) is hard. We introduce Episodic RL (ERL)."
    text = title + "\n\n" + abstract
    chunk = Candidate(23, len(title), "task", "title_task", 0.5)
    assert text[chunk.start : chunk.end] == "Episodic Reinforcement Learning"
    rl_long = text.index("Reinforcement learning")
    rl_short = text.index("RL)")
    abbreviations = [(rl_short, rl_short + 2, rl_long, rl_long + 22)]
    kept = drop_spelled_out_proposals(text, len(title), [chunk], {"episodic rl"}, abbreviations)
    assert kept == []
    assert drop_spelled_out_proposals(text, len(title), [chunk], {"other"}, abbreviations) == [chunk]


@pytest.mark.parametrize(
    ("long", "short", "after", "expected"),
    [
        ("mean-field reinforcement learning", "MFRL", " algorithm, which needs no model.", "method"),
        ("mean-field reinforcement learning", "MFRL", " algorithms. They need no model.", "task"),
        ("mean-field reinforcement learning", "MFRL", ". It needs no model.", "task"),
        ("multi-agent motion planning", "MAMP", " algorithm, which needs no model.", "task"),
    ],
)
def test_resolve_abbreviation_before_a_singular_method_head_is_a_method(
    long: str, short: str, after: str, expected: str
) -> None:
    from kg.extract import Extractor
    from kg.models import Paper

    abstract = f"We use a model-free {long} ({short}){after}"
    paper = Paper(id="paper:m", title="Macroeconomic Policies", abstract=abstract)
    found = {(m.text, m.type.value) for m in Extractor([]).extract(paper).mentions}
    assert (long, expected) in found
    assert (short, expected) in found


def _method_texts(title: str, abstract: str, known_method: str) -> set[str]:
    """Method mention texts of one paper, extracted with a gazetteer of one known method."""
    from kg.extract import Extractor
    from kg.models import Paper

    paper = Paper(id="paper:m", title=title, abstract=abstract)
    ex = Extractor([GazetteerEntry(known_method, "method")])
    return {m.text for m in ex.extract(paper).mentions if m.type.value == "method"}


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("We analyse a Hessian-Aided Recursive Policy Gradient method.",
         "Hessian-Aided Recursive Policy Gradient"),
        ("We train it with the Original Policy Gradient method.", "Policy Gradient"),
        ("Recursive Policy Gradient is old. We use it.", "Policy Gradient"),
    ],
)
def test_resolve_capitalised_modifiers_extend_a_known_method_in_the_abstract(
    abstract: str, expected: str
) -> None:
    methods = _method_texts("Policy Gradient Variants", abstract, "Policy Gradient")
    assert expected in methods
    assert not any(len(m) > len(expected) and m.endswith("Policy Gradient") for m in methods)


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        ("Results show the superiority of the SMFG method.", "method"),
        ("Results on SMFG are strong.", "benchmark"),
    ],
)
def test_resolve_abbreviation_called_a_method_later_is_a_method(later: str, expected: str) -> None:
    from kg.extract import Extractor
    from kg.models import Paper

    abstract = f"We model the economy as a Stackelberg Mean Field Game (SMFG). {later}"
    paper = Paper(id="paper:s", title="Macroeconomic Policies", abstract=abstract)
    found = {(m.text, m.type.value) for m in Extractor([]).extract(paper).mentions}
    assert ("Stackelberg Mean Field Game", expected) in found


def test_patterns_typed_head_letter_before_an_affix_is_no_name() -> None:
    text = "We sample from the N-agent simulator and from the Gazebo-based simulator."
    found = {(text[s:e], t) for s, e, t in find_typed_heads(text)}
    assert found == {("Gazebo", "benchmark")}


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("We derive a stateful policy gradient. The stateful policy gradient is unbiased.",
         "stateful policy gradient"),
        ("We derive a stateful policy gradient. It beats policy gradient.", "policy gradient"),
        ("We introduce policy gradient here. We introduce policy gradient again.",
         "policy gradient"),
    ],
)
def test_resolve_repeated_lowercase_modifier_extends_a_known_method(
    abstract: str, expected: str
) -> None:
    methods = _method_texts("Gradients", abstract, "policy gradient")
    assert expected in methods
    assert not any(len(m) > len(expected) for m in methods)


_SCAN_TEXTS = [
    "",
    "Our method, called FooNet, works. In our approach we propose BarNet and present BazSet.",
    "Flour, your tour: our framework named X; OUR model. We design, devise and develop Qux.",
    "This paper introduces Alpha and names it Beta; we dub it Gamma and we termed it Delta.",
    " propose  proposes proposed proposal propose-based\npropose (propose we construct",
    "We propose\u00a0X, we introduce\u00e9 Y; here we present Z\u2014and offer W. called named",
]


@pytest.mark.parametrize("text", _SCAN_TEXTS)
@pytest.mark.parametrize("start", [0, 1, 5, 40])
def test_patterns_finditer_at_equals_finditer(text: str, start: int) -> None:
    from kg.extract.patterns import _OUR_NOUN, finditer_at

    expected = [m.span() for m in _OUR_NOUN.finditer(text, start)]
    assert [m.span() for m in finditer_at(_OUR_NOUN, text, ("our", "Our"), start)] == expected


def test_patterns_proposal_verbs_are_no_prefixes_of_each_other() -> None:
    # The one-scan verb search finds one verb per position; a verb that is a prefix of another
    # ("present" / "presents") would hide it.
    from kg.extract.patterns import _VERBS

    assert not [(a, b) for a in _VERBS for b in _VERBS if a != b and b.startswith(a)]


@pytest.mark.parametrize("text", _SCAN_TEXTS)
def test_patterns_verb_positions_equal_a_find_per_verb(text: str) -> None:
    import kg.extract.patterns as p

    # Reference: a str.find loop per verb, as the rule was first written.
    ends = []
    for verb in p._VERBS:
        pos = text.find(verb)
        while pos >= 0:
            end = pos + len(verb)
            while end < len(text) and text[end].isalpha():
                end += 1
            if pos > 0 and text[pos - 1] == " " and text[pos + len(verb) : end] in p._VERB_ENDINGS:
                if p._SUBJECT_BEFORE.search(text, max(0, pos - 45), pos) or p._coordinated_we(text, pos):
                    ends.append(end)
            pos = text.find(verb, end)
    assert p._verb_positions(text) == tuple(sorted(ends))


@pytest.mark.parametrize(
    "title",
    [
        "DPPO: Fine-Tuning Diffusion Policies for Robot Manipulation",
        "LEARNING TO ACT VIA LANGUAGE -- AND BEYOND; Is RL All You Need?",
        "Policy Learning With  Tabs\tand \u2013 dashes, From Pixels Using VS. Models",
        "\u0130stanbul Robots For K\u0131ds Under \u212aelvin Towards Everything",
        "",
    ],
)
def test_patterns_title_splits_equal_the_case_insensitive_scan(title: str) -> None:
    from kg.extract.patterns import _TITLE_SPLIT, _title_splits

    expected = tuple(
        (m.start(), m.end(), m.group().strip().lower()) for m in _TITLE_SPLIT.finditer(title)
    )
    assert _title_splits(title) == expected


def test_gazetteer_pattern_tokens_cache_matches_like_pattern_docs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spacy.matcher import PhraseMatcher

    from kg.extract.gazetteer import pattern_tokens, plural_forms
    from kg.readers import read_papers
    from kg.resources import load_resources

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    entries = load_resources(())[:4000]  # real names and aliases, a quick subset
    texts = [f"{p.title}. {p.abstract}" for p in read_papers([EXAMPLE]).papers]

    def matches(matcher: object) -> list[tuple[int, int, str]]:
        out = []
        for doc in nlp.pipe(texts):
            out.extend((s, e, nlp.vocab.strings[m]) for m, s, e in matcher(doc))  # type: ignore[operator]
        return sorted(out)

    nlp = spacy.blank("en")
    # the matcher as spaCy builds it from pattern Docs (kg's way before the cache)
    reference = PhraseMatcher(nlp.vocab, attr="LOWER")
    tokenizer = spacy.blank("en", vocab=nlp.vocab).tokenizer
    for i, entry in enumerate(entries):
        forms = [v for f in (entry.name, *entry.aliases) if len(f) >= 2 and "(" not in f
                 and ")" not in f for v in plural_forms(f)]
        if forms:
            reference.add(str(i), list(tokenizer.pipe(forms)))
    want = matches(reference)
    assert len(want) > 300
    cold, _ = build_matchers(nlp, entries)
    assert list(tmp_path.glob("pattern-tokens-*.json"))  # written on the first build
    warm, _ = build_matchers(nlp, entries)
    assert matches(cold) == matches(warm) == want
    # a damaged cache file is ignored (and rewritten)
    for path in tmp_path.glob("pattern-tokens-*.json"):
        path.write_text("[[\"trunc", encoding="utf-8")
    damaged, _ = build_matchers(nlp, entries)
    assert matches(damaged) == want
    forms = ["PPO-2", "state-of-the-art", "Q-learning"]
    assert pattern_tokens("en", forms) == [[t.text for t in tokenizer(f)] for f in forms]
