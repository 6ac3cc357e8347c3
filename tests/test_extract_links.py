"""URL detection, normalization and kinds (kg.extract.links)."""

from __future__ import annotations

import pytest

from kg.extract.links import find_links, link_kind, normalize_url, repo_key, strip_trailing


@pytest.mark.parametrize(
    ("text", "written", "url", "kind"),
    [
        ("Code: https://github.com/owner/repo.", "https://github.com/owner/repo",
         "https://github.com/owner/repo", "code"),
        ("See diffusion-ppo.github.io.", "diffusion-ppo.github.io",
         "https://diffusion-ppo.github.io", "project_page"),
        ("at github.com/a/b/tree/main/src, and", "github.com/a/b/tree/main/src",
         "https://github.com/a/b", "code"),
        ("(https://github.com/a/b/blob/main/x.py)", "https://github.com/a/b/blob/main/x.py",
         "https://github.com/a/b", "code"),
        ("weights: https://huggingface.co/Org/model-7b/tree/main;", "https://huggingface.co/Org/model-7b/tree/main",
         "https://huggingface.co/Org/model-7b", "model"),
        ("data: https://huggingface.co/datasets/Org/data/viewer!", "https://huggingface.co/datasets/Org/data/viewer",
         "https://huggingface.co/datasets/Org/data", "dataset"),
        ("org https://huggingface.co/Cornell-AGI.", "https://huggingface.co/Cornell-AGI",
         "https://huggingface.co/Cornell-AGI", "model"),
        ("video: https://youtu.be/uFcnWjB42I0", "https://youtu.be/uFcnWjB42I0",
         "https://youtu.be/uFcnWjB42I0", "video"),
        ("site https://sites.google.com/view/vsdr/home.", "https://sites.google.com/view/vsdr/home",
         "https://sites.google.com/view/vsdr/home", "project_page"),
        ("www.example.org/x)", "www.example.org/x", "https://example.org/x", "project_page"),
        ("git: https://gitlab.com/g/p.git", "https://gitlab.com/g/p.git", "https://gitlab.com/g/p", "code"),
        ("paper http://arxiv.org/abs/2409.00588.", "http://arxiv.org/abs/2409.00588",
         "http://arxiv.org/abs/2409.00588", "other"),
    ],
)
def test_links_found_normalized_and_classified(text: str, written: str, url: str, kind: str) -> None:
    ((start, end, found_url, found_kind),) = find_links(text)
    assert text[start:end] == written
    assert found_url == url
    assert found_kind == kind


@pytest.mark.parametrize(
    "text",
    ["e.g. the model.It works", "mail me at a@b.com", "version 3.5 of it", "no links here"],
)
def test_links_ignore_non_urls(text: str) -> None:
    assert find_links(text) == []


@pytest.mark.parametrize(
    ("raw", "stripped"),
    [("site.io.", "site.io"), ("site.io),", "site.io"), ("x.io/a_(b)", "x.io/a_(b)"), ("a.io/'", "a.io/")],
)
def test_links_strip_trailing_punctuation(raw: str, stripped: str) -> None:
    assert strip_trailing(raw) == stripped


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://github.com/Owner/Name/tree/main", "github:Owner/Name"),
        ("github.com/owner/name.git", "github:owner/name"),
        ("https://huggingface.co/org/model", "huggingface:org/model"),
        ("https://huggingface.co/datasets/org/data", "huggingface:datasets/org/data"),
        ("https://github.com/orgs/someone", None),
        ("https://diffusion-ppo.github.io", None),
    ],
)
def test_links_repo_key(url: str, key: str | None) -> None:
    assert repo_key(url) == key


def test_links_normalize_is_idempotent() -> None:
    for url in ("github.com/a/b/issues/3", "https://huggingface.co/datasets/o/n/tree/main", "x.github.io/"):
        once = normalize_url(url)
        assert normalize_url(once) == once
        assert link_kind(once) == link_kind(url)
