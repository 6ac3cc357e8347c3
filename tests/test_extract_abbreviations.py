"""Schwartz-Hearst abbreviation detection (kg.extract.abbreviations)."""

from __future__ import annotations

import pytest

from kg.extract.abbreviations import best_long_form, find_abbreviations, is_short_form


def pairs(text: str) -> list[tuple[str, str]]:
    return [(text[a:b], text[c:d]) for a, b, c, d in find_abbreviations(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # long form (SHORT)
        ("We use Proximal Policy Optimization (PPO) here.", [("PPO", "Proximal Policy Optimization")]),
        ("large language models (LLMs) are costly", [("LLMs", "large language models")]),
        (
            "Temporally-Correlated Episodic Reinforcement Learning (TCE) helps",
            [("TCE", "Temporally-Correlated Episodic Reinforcement Learning")],
        ),
        (
            "we introduce nested policy fitted Q-iteration (NFQI), an RL framework",
            [("NFQI", "nested policy fitted Q-iteration")],
        ),
        ("the Arcade Learning Environment (ALE) is", [("ALE", "Arcade Learning Environment")]),
        # SHORT (long form)
        ("We compare to PPO (Proximal Policy Optimization).", [("PPO", "Proximal Policy Optimization")]),
        (
            "DPO (Direct Preference Optimization; Rafailov et al.) works",
            [("DPO", "Direct Preference Optimization")],
        ),
        # long form, SHORT
        (
            "We introduce Diffusion Policy Policy Optimization, DPPO, an algorithmic framework",
            [("DPPO", "Diffusion Policy Policy Optimization")],
        ),
        # creative acronym of a capitalised name
        (
            "we introduce Regressing the Relative Future (REFUEL), an approach",
            [("REFUEL", "Regressing the Relative Future")],
        ),
        # both directions in one text, in text order
        (
            "Soft Actor-Critic (SAC) and TD3 (Twin Delayed Deep Deterministic policy gradient).",
            [("SAC", "Soft Actor-Critic"), ("TD3", "Twin Delayed Deep Deterministic policy gradient")],
        ),
    ],
)
def test_abbreviations_found_in_both_directions(text: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "results improved (see Table 2) on all tasks",
        "as shown before (2023), the method works",
        "we consider (i) speed and (ii) accuracy",
        "a simple model (e.g. a linear one) is enough",
        "the cat sat on the mat (MAT-X) today",  # letters of the short form not in the words
        "robots, PPO, and other things",  # comma form needs initials of the preceding words
    ],
)
def test_abbreviations_ignore_non_definitions(text: str) -> None:
    assert pairs(text) == []


def test_abbreviations_offsets_point_into_text() -> None:
    text = "Intro. We use Group Relative Policy Optimization (GRPO) and GRPO again."
    ((s_start, s_end, l_start, l_end),) = find_abbreviations(text)
    assert text[s_start:s_end] == "GRPO"
    assert text[l_start:l_end] == "Group Relative Policy Optimization"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [("PPO", True), ("LLMs", True), ("N-PG-IGT", True), ("2023", False), ("i", False),
     ("Figure", False), ("a b c d", False)],
)
def test_abbreviations_short_form_candidates(candidate: str, expected: bool) -> None:
    assert is_short_form(candidate) is expected


def test_abbreviations_best_long_form_is_schwartz_hearst() -> None:
    # The first character of the short form must start a word.
    long = "with the Hidden Markov Model"
    assert long[best_long_form("HMM", long) :] == "Hidden Markov Model"
    assert best_long_form("XYZ", long) is None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("BRAIn: Bayesian Reward-conditioned Amortized Inference for text generation",
         [("BRAIn", "Bayesian Reward-conditioned Amortized Inference")]),
        ("SimBa: Simplicity Bias for Scaling Up Parameters", []),  # two capitals are not enough
        ("PARL: A Unified Framework for Policy Alignment", []),  # initials do not spell PARL
    ],
)
def test_abbreviations_defined_by_a_title(title: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(title + "\n\nThe abstract.") == expected
