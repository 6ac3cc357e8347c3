"""Tests for kg.readers: every format from tiny real-format fixtures, plus hostile input."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.models import slug
from kg.readers import FORMATS, Problem, ReadResult, detect_format, iter_papers, read_papers
from kg.readers._common import (
    clean_text,
    normalize_url,
    parse_arxiv_id,
    parse_published,
    split_authors,
)
from kg.readers.hf_text import is_chrome, strip_glued_chrome

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BAD = FIXTURES / "bad"
EXAMPLE = ROOT / "examples" / "hf-papers-policy.txt"
HINT = "kg reads HF papers text dumps, JSONL, JSON, CSV/TSV, arXiv Atom XML and BibTeX"


def read_ok(path: Path, **kwargs: object) -> ReadResult:
    """Read with skip_invalid and return the result."""
    return read_papers([path], skip_invalid=True, **kwargs)  # type: ignore[arg-type]


def strs(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# --------------------------------------------------------------------------------------------
# HF papers page text dump


def test_readers_hf_example_corpus_gives_214_papers_without_chrome() -> None:
    result = read_papers([EXAMPLE])
    assert len(result.papers) == 214
    assert result.skipped == [] and result.warnings == []
    lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
    first = result.papers[0]
    assert first.title == "Language-Conditioned Imitation Learning for Robot Manipulation Tasks"
    assert first.id == "paper:language-conditioned-imitation-learning-for-robot-manipulation-tasks"
    assert first.source == f"{EXAMPLE}:3"
    for paper in result.papers:
        assert "Subscribe" not in paper.title
        assert "trending papers" not in paper.title.lower() + paper.abstract.lower()
        line = int(paper.source.rsplit(":", 1)[1])
        assert lines[line].strip() == paper.abstract  # the abstract is the line after the title
        assert paper.id.startswith("paper:") and len(paper.id) <= len("paper:") + 80
    assert result.papers[-1].title == "A Policy Gradient Method for Confounded POMDPs"


def test_readers_hf_example_matches_dev_gold_titles() -> None:
    papers = read_papers([EXAMPLE]).papers
    gold = [
        json.loads(line) for line in (ROOT / "tests/data/seed-dev.jsonl").open(encoding="utf-8")
    ]
    assert [g["title"] for g in gold] == [p.title for p in papers[: len(gold)]]


@pytest.mark.parametrize(
    "line",
    [
        "Get trending papers in your email inbox once a day!",
        "Get trending papers in your email inbox!",
        "Subscribe",
        "Upvote",
        "42",
        "1.2k",
        "· 5 authors",
        "Submitted by akhaliq",
        "Published on Sep 1, 2024",
        "Daily Papers",
        "by AK and the research community",
        "View arXiv page",
        "#3",
        "Sep 12, 2024",
        "---",
    ],
)
def test_readers_hf_chrome_lines_are_recognised(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "Policy-Guided Diffusion",
        "Trust Region Policy Optimization",
        "Models of Everything",
        "Next-Token Prediction for Control",
        "Subscribers and Publishers: A Study",
    ],
)
def test_readers_hf_titles_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)
    assert strip_glued_chrome(line) == line


def test_readers_hf_glued_button_labels_are_stripped() -> None:
    assert (
        strip_glued_chrome("SubscribeLanguage-Conditioned Imitation")
        == "Language-Conditioned Imitation"
    )
    assert strip_glued_chrome('UpvoteSubscribe"Quoted" Title') == '"Quoted" Title'


def test_readers_hf_chrome_between_papers_and_missing_abstract(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(
        "Daily Papers\nby AK and the research community\n"
        "SubscribeFirst Paper Title\n"
        "We study the first problem. It is hard and we solve it.\n"
        "Submitted by someone\n· 4 authors\nUpvote\n17\n"
        "Second Paper Has No Abstract\n"
        "Third Paper Title\n"
        "The third abstract has two sentences. This is the second one.\n",
        encoding="utf-8",
    )
    result = read_papers([page])
    assert [(p.title, p.abstract[:9], p.source) for p in result.papers] == [
        ("First Paper Title", "We study ", f"{page}:3"),
        ("Second Paper Has No Abstract", "", f"{page}:9"),
        ("Third Paper Title", "The third", f"{page}:10"),
    ]
    assert strs(result.warnings) == [f"{page}:9: no abstract; only the title will be used"]


def test_readers_hf_titles_only_page_and_question_titles(tmp_path: Path) -> None:
    page = tmp_path / "daily.txt"
    page.write_text(
        "Hugging Face\nModels\nDatasets\nSpaces\nDocs\nPricing\nLog In\nSign Up\nDaily Papers\n"
        "Submit\nWhy Does PPO Work? An Analysis\n· 3 authors\nUpvote\n12\n"
        "Diffusion Policy Policy Optimization\n· 7 authors\nUpvote\n1.2k\nLoad more\n",
        encoding="utf-8",
    )
    result = read_papers([page])
    assert [(p.title, p.abstract) for p in result.papers] == [
        ("Why Does PPO Work? An Analysis", ""),
        ("Diffusion Policy Policy Optimization", ""),
    ]
    page.write_text(
        "Why Does PPO Work? An Analysis\nWe analyse PPO. It works for three reasons.\n"
        "We study a paper whose title line is missing from the dump entirely.\n",
        encoding="utf-8",
    )
    result = read_papers([page])
    assert [(p.title, p.abstract[:10]) for p in result.papers] == [
        ("Why Does PPO Work? An Analysis", "We analyse"),
        ("", "We study a"),
    ]
    assert strs(result.warnings) == [f"{page}:3: no title; kept with an empty title"]


def test_readers_hf_small_fixture() -> None:
    result = read_papers([FIXTURES / "hf-papers-small.txt"])
    assert [p.title for p in result.papers] == [
        "Language-Conditioned Imitation Learning for Robot Manipulation Tasks",
        "All Roads Lead to Likelihood: The Value of Reinforcement Learning in Fine-Tuning",
        "In-Context Imitation Learning via Next-Token Prediction",
    ]


def test_readers_hf_only_chrome_gives_warning(tmp_path: Path) -> None:
    page = tmp_path / "chrome.txt"
    page.write_text("Get trending papers in your email inbox!\nSubscribe\n", encoding="utf-8")
    result = read_papers([page])
    assert result.papers == []
    assert strs(result.warnings) == [f"{page}: no papers found (read as hf-text)"]


# --------------------------------------------------------------------------------------------
# Structured formats from real-format fixtures


def test_readers_atom_arxiv_feed() -> None:
    path = FIXTURES / "arxiv-query.atom.xml"
    result = read_papers([path])
    assert [(p.id, p.arxiv_id, p.published, p.source) for p in result.papers] == [
        ("paper:1707.06347", "1707.06347", "2017-07-20", f"{path}:10"),
        ("paper:2409.00588", "2409.00588", "2024-09-01", f"{path}:36"),
        ("paper:hep-th/9901001", "hep-th/9901001", "1999-01-04", f"{path}:58"),
    ]
    ppo = result.papers[0]
    assert ppo.title == "Proximal Policy Optimization Algorithms"
    assert ppo.url == "http://arxiv.org/abs/1707.06347v2"
    assert ppo.authors == ("John Schulman", "Filip Wolski", "Prafulla Dhariwal")
    assert ppo.abstract.startswith(
        "We propose a new family of policy gradient methods for reinforcement learning, which"
    )
    assert "\n" not in ppo.abstract and "  " not in ppo.abstract
    old = result.papers[2]
    assert old.title == "An Old-Style Identifier Paper"
    assert old.abstract.endswith("an ampersand & a less-than sign < in it.")


def test_readers_bibtex_zotero_export() -> None:
    path = FIXTURES / "zotero-export.bib"
    result = read_papers([path])
    assert result.warnings == []
    ppo, bridge, dppo = result.papers
    assert (ppo.id, ppo.title, ppo.published, ppo.source) == (
        "paper:1707.06347",
        "Proximal Policy Optimization Algorithms",
        "2017-08",
        f"{path}:2",
    )
    assert ppo.authors == ("John Schulman", "Filip Wolski", "Prafulla Dhariwal")
    assert ppo.abstract.endswith(
        "Our method, PPO, outperforms other online policy gradient methods."
    )
    assert bridge.title == "Schrödinger Bridges for Naïve Policy Learning"
    assert bridge.authors == ("Jörg Müller", "María García", "Søren Østergaard")
    assert bridge.abstract == (
        "We study naïve policy learning with Schrödinger bridges, achieving 95% success on the "
        "D4RL benchmark & beating CQL."
    )
    assert bridge.url == "https://doi.org/10.5555/icml.2021.123" and bridge.arxiv_id is None
    assert bridge.id == "paper:schrodinger-bridges-for-naive-policy-learning"
    assert (dppo.id, dppo.published, dppo.source) == ("paper:2409.00588", "2024", f"{path}:27")


def test_readers_csv_with_quoted_newline() -> None:
    path = FIXTURES / "papers.csv"
    ppo, trpo = read_papers([path]).papers
    assert ppo.abstract == (
        "We propose a new family of policy gradient methods. The abstract continues on a second "
        "line, with a comma."
    )
    assert (ppo.id, ppo.url, ppo.authors, ppo.published, ppo.source) == (
        "paper:1707.06347",
        "https://arxiv.org/abs/1707.06347",
        ("John Schulman", "Filip Wolski"),
        "2017-07-20",
        f"{path}:2",
    )
    assert (trpo.id, trpo.authors, trpo.published, trpo.source) == (
        "paper:1502.05477",
        ("John Schulman", "Sergey Levine"),
        "2015",
        f"{path}:4",
    )


def test_readers_tsv() -> None:
    path = FIXTURES / "papers.tsv"
    papers = read_papers([path]).papers
    assert [(p.id, p.title, p.source) for p in papers] == [
        ("paper:sac", "Soft Actor-Critic", f"{path}:2"),
        ("paper:cql", "Conservative Q-Learning", f"{path}:3"),
    ]


def test_readers_jsonl_fields_and_synonyms() -> None:
    path = FIXTURES / "papers.jsonl"
    hf, sac, slugged = read_papers([path]).papers
    assert (hf.id, hf.authors, hf.published, hf.source) == (
        "paper:hf-policy-000",
        ("Simon Stepputtis", "Joseph Campbell"),
        "2020-10-22",
        f"{path}:1",
    )
    assert (sac.id, sac.arxiv_id, sac.abstract[:10], sac.published) == (
        "paper:1812.05905",
        "1812.05905",
        "We present",
        "2018",
    )
    assert sac.authors == ("Tuomas Haarnoja", "Aurick Zhou")
    assert (slugged.id, slugged.source) == ("paper:offline-rl-without-arxiv-id", "zotero:1234")


def test_readers_json_array_and_object() -> None:
    array = FIXTURES / "papers-array.json"
    dppo, trpo = read_papers([array]).papers
    assert (dppo.id, dppo.arxiv_id, dppo.source) == ("paper:2409.00588", "2409.00588", f"{array}:2")
    assert (trpo.id, trpo.authors, trpo.source) == (
        "paper:trust-region-policy-optimization",
        ("John Schulman", "Sergey Levine"),
        f"{array}:7",
    )
    obj = FIXTURES / "papers-object.json"
    papers = read_papers([obj]).papers
    assert [(p.id, p.published, p.source) for p in papers] == [
        ("paper:ppo", "2017-07-20", f"{obj}:5"),
        ("paper:ddpg", None, f"{obj}:7"),
    ]


def test_readers_json_single_record_and_other_list_key(tmp_path: Path) -> None:
    single = tmp_path / "one.json"
    single.write_text(
        '{"title": "Only One", "abstract": "A single paper object."}', encoding="utf-8"
    )
    assert [p.title for p in read_papers([single]).papers] == ["Only One"]
    keyed = tmp_path / "keyed.json"
    keyed.write_text(
        '{"meta": {"n": 1}, "hits": [{"title": "Hit", "summary": "Found."}]}', encoding="utf-8"
    )
    assert [(p.title, p.abstract) for p in read_papers([keyed]).papers] == [("Hit", "Found.")]
    empty = tmp_path / "nolist.json"
    empty.write_text('{"meta": 1}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_papers([empty])
    assert str(info.value) == (
        f'{empty}:1: JSON object holds no list of papers (keys: "meta") — put the papers in an '
        'array, e.g. {"papers": [...]}'
    )


# --------------------------------------------------------------------------------------------
# Format detection


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.jsonl", '{"title": "x"}\n', "jsonl"),
        ("a.json", '{"title": "x"}\n{"title": "y"}\n', "jsonl"),
        ("a.json", '[{"title": "x"}]', "json"),
        ("a.json", '{\n "papers": []\n}', "json"),
        ("a.txt", '{"papers": [{"title": "x"}]}', "json"),
        ("a.txt", '{"title": "x", "authors": [{"name": "A"}]}\n', "jsonl"),
        ("a.csv", "title,abstract\nx,y\n", "csv"),
        ("a.csv", "title\tabstract\nx\ty\n", "tsv"),
        ("a.tsv", "title\tabstract\nx\ty\n", "tsv"),
        ("a.dat", "Title;Abstract\nx;y\n", "csv"),
        ("a.xml", "<feed/>", "atom"),
        ("feed", '<?xml version="1.0"?><feed/>', "atom"),
        ("a.bib", "@article{k, title={x}}", "bibtex"),
        ("refs", "% comment\n@misc{k, title={x}}", "bibtex"),
        ("a.txt", "Some Title\nSome abstract. Two sentences.\n", "hf-text"),
        ("page", "Get trending papers in your email inbox!\nSubscribeT\nA.\n", "hf-text"),
    ],
)
def test_readers_detect_format(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert detect_format(path) == expected
    assert detect_format(path, content) == expected


def test_readers_fmt_forces_format(tmp_path: Path) -> None:
    path = tmp_path / "papers.data"
    path.write_text('{"title": "Forced", "abstract": "Read as JSONL."}\n', encoding="utf-8")
    assert [p.title for p in read_papers([path], fmt="jsonl").papers] == ["Forced"]
    hf = read_papers([path], fmt="hf-text")
    assert [p.title for p in hf.papers] == ['{"title": "Forced", "abstract": "Read as JSONL."}']


def test_readers_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        read_papers([FIXTURES / "papers.jsonl"], fmt="yaml")
    assert str(info.value) == ("unknown format 'yaml' — choose one of: " + ", ".join(FORMATS))


# --------------------------------------------------------------------------------------------
# Whole-file errors


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.jsonl", f"empty file — expected papers ({HINT})"),
        ("whitespace-only.txt", f"empty file — expected papers ({HINT})"),
        ("binary.jsonl", f"binary file, not text — {HINT}"),
        (
            "entity-bomb.xml",
            "XML entity or DTD declarations are not allowed (possible entity-expansion attack) — "
            "remove the <!DOCTYPE> / <!ENTITY> part",
        ),
    ],
)
def test_readers_bad_file_is_one_line_input_error(name: str, message: str) -> None:
    path = BAD / name
    with pytest.raises(InputError) as info:
        read_papers([path], skip_invalid=True)
    assert str(info.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed.atom.xml", "5: malformed XML (mismatched tag, column 4) — fix the file"),
        (
            "syntax-error.json",
            "3: not valid JSON at column 19: expecting ',' delimiter — fix the file (one JSON "
            "document; use .jsonl for one object per line)",
        ),
    ],
)
def test_readers_unparseable_document_names_line(name: str, message: str) -> None:
    path = BAD / name
    with pytest.raises(InputError) as info:
        read_papers([path], skip_invalid=True)
    assert str(info.value) == f"{path}:{message}"


def test_readers_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_papers(["x.jsonl"])
    assert str(info.value) == "x.jsonl: no such file"
    with pytest.raises(InputError) as info:
        read_papers([tmp_path])
    assert str(info.value) == f"{tmp_path}: is a directory, not a file — pass the paper files in it"


def test_readers_compressed_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"title": "x"}\n'))
    with pytest.raises(InputError) as info:
        read_papers([path])
    assert str(info.value) == (
        f"{path}: binary file (gzip-compressed; decompress it first), not text — {HINT}"
    )


def test_readers_csv_without_usable_header(tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_papers([path])
    assert str(info.value) == (
        f'{path}:1: header must name a "title" or "abstract" column (found "foo", "bar"; '
        'separator ",") — add a header row'
    )


def test_readers_atom_wrong_root(tmp_path: Path) -> None:
    path = tmp_path / "rss.xml"
    path.write_text("<rss><channel/></rss>", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_papers([path])
    assert str(info.value) == (
        f"{path}: not an Atom feed (root element <rss>) — expected the XML the arXiv API returns"
    )


# --------------------------------------------------------------------------------------------
# Invalid records


def test_readers_wrong_field_types() -> None:
    path = BAD / "wrong-types.jsonl"
    result = read_ok(path)
    assert [p.title for p in result.papers] == ["Good Paper"]
    assert strs(result.skipped) == [
        f'{path}:2: field "abstract" must be a string (got a list)',
        f'{path}:3: field "title" must be a string (got a number)',
        f'{path}:4: field "authors" must be a list of names or a string (got a number)',
        f'{path}:5: field "published" must be a date string or a year (got an object)',
        f"{path}:6: expected a JSON object, got a list",
    ]
    with pytest.raises(InputError) as info:
        read_papers([path])
    assert str(info.value) == (
        f'{path}:2: field "abstract" must be a string (got a list) — fix the line or pass '
        "--skip-invalid (and 4 more invalid records)"
    )


def test_readers_iter_papers_streams_and_stops_at_the_first_invalid_record(
        tmp_path: Path) -> None:
    lines = [{"title": f"Paper {i}", "abstract": f"Abstract {i}."} for i in range(6)]
    lines[3] = {"title": "Broken", "abstract": ["not", "a", "string"]}
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    # lazily: the first paper comes out before the rest of the file is parsed
    stream = iter_papers([path])
    assert next(stream).title == "Paper 0"
    # without skip_invalid nothing after the bad record goes out (the run will fail anyway),
    # and the error, with its count, comes once the whole input is read
    result = ReadResult()
    got = []
    with pytest.raises(InputError, match=r"mixed\.jsonl:4: field \"abstract\""):
        for paper in iter_papers([path], result=result):
            got.append(paper.title)
    assert got == ["Paper 0", "Paper 1", "Paper 2"]
    assert len(result.skipped) == 1
    # with skip_invalid every good record streams out, the bad one is listed
    result = ReadResult()
    titles = [p.title for p in iter_papers([path], skip_invalid=True, result=result)]
    assert titles == ["Paper 0", "Paper 1", "Paper 2", "Paper 4", "Paper 5"]
    assert strs(result.skipped) == [f'{path}:4: field "abstract" must be a string (got a list)']
    assert result.papers == []  # the stream does not also keep them
    assert [p.title for p in read_ok(path).papers] == titles


def test_readers_truncated_last_jsonl_line() -> None:
    path = BAD / "truncated.jsonl"
    result = read_ok(path)
    assert [p.title for p in result.papers] == ["Complete Paper"]
    assert strs(result.skipped) == [
        f"{path}:2: not valid JSON at column 40: unterminated string; the line is cut off "
        "(truncated file?)"
    ]
    with pytest.raises(InputError) as info:
        read_papers([path])
    assert str(info.value) == f"{result.skipped[0]} — fix the line or pass --skip-invalid"


@pytest.mark.parametrize(
    ("text", "cut_off"),
    [
        ('{"title": "A"}\n{"title": "B\n\n  \n', True),  # blank lines after the last record
        ('{"title": "A"}\r\n{"title": "B\r\n', True),
        ('{"title": "A"}\r{"title": "B', True),  # old Mac line ends
        ('{"title": "B\n{"title": "A"}\n', False),  # a broken line before others is not cut off
    ],
)
def test_readers_jsonl_cut_off_line_is_the_last_non_blank(
    tmp_path: Path, text: str, cut_off: bool
) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_bytes(text.encode("utf-8"))
    result = read_ok(path, fmt="jsonl")
    [problem] = result.skipped
    assert problem.message.endswith("the line is cut off (truncated file?)") == cut_off
    assert [p.title for p in result.papers] == ["A"]


def test_readers_missing_title_and_abstract() -> None:
    path = BAD / "missing-fields.jsonl"
    result = read_ok(path)
    assert [(p.id, p.title, p.abstract) for p in result.papers] == [
        ("paper:no-title", "", "An abstract without a title.")
    ]
    assert strs(result.warnings) == [f"{path}:2: no title; kept with an empty title"]
    no_text = 'no "title" and no "abstract" — a paper needs at least one of them'
    assert strs(result.skipped) == [f"{path}:1: {no_text}", f"{path}:3: {no_text}"]
    with pytest.raises(InputError) as info:
        read_papers([path])
    assert str(info.value) == (
        f"{path}:1: {no_text} or pass --skip-invalid (and 1 more invalid record)"
    )


def test_readers_untitled_paper_without_id_gets_abstract_slug(tmp_path: Path) -> None:
    path = tmp_path / "untitled.jsonl"
    path.write_text('{"abstract": "Only an abstract here."}\n', encoding="utf-8")
    assert read_papers([path]).papers[0].id == "paper:only-an-abstract-here"


def test_readers_duplicates_first_wins_with_warning() -> None:
    path = BAD / "duplicates.jsonl"
    result = read_papers([path])
    assert [(p.id, p.abstract) for p in result.papers] == [
        ("paper:p1", "The first version."),
        ("paper:2409.00588", "Same arXiv id."),
        ("paper:same-title", "Identical content."),
    ]
    assert strs(result.warnings) == [
        f"{path}:2: duplicate of paper:p1 read at {path}:1 (same id) with different content; "
        "kept the first",
        f"{path}:4: duplicate of paper:2409.00588 read at {path}:3 (same arXiv id) with "
        "different content; kept the first",
    ]


def test_readers_duplicates_across_files_name_both(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.csv"
    a.write_text('{"title": "Shared Paper", "abstract": "Version A."}\n', encoding="utf-8")
    b.write_text('title,abstract\n"Shared  paper","Version B."\n', encoding="utf-8")
    result = read_papers([a, b])
    assert [p.abstract for p in result.papers] == ["Version A."]
    assert strs(result.warnings) == [
        f"{b}:2: duplicate of paper:shared-paper read at {a}:1 (same title) with different "
        "content; kept the first"
    ]


def test_readers_csv_quoted_newlines_and_extra_fields() -> None:
    path = BAD / "quoted-newlines.csv"
    result = read_ok(path)
    assert [(p.id, p.title, p.abstract, p.source) for p in result.papers] == [
        (
            "paper:1",
            'A "Quoted" Title',
            "Line one line two, with comma after a blank line",
            f"{path}:2",
        ),
        ("paper:2", "Plain", "Simple.", f"{path}:6"),
    ]
    assert strs(result.skipped) == [
        f"{path}:7: row has 5 fields but the header has 3 — quote fields that contain the separator"
    ]


def test_readers_atom_error_entry_is_invalid() -> None:
    path = BAD / "arxiv-error.atom.xml"
    result = read_ok(path)
    assert result.papers == []
    message = (
        f"{path}:10: arXiv API error entry: incorrect id format for 1234.12345 — fix the query "
        "that produced the feed"
    )
    assert strs(result.skipped) == [message]
    with pytest.raises(InputError) as info:
        read_papers([path])
    assert str(info.value) == message + " or pass --skip-invalid"


def test_readers_bibtex_unbalanced_braces_named_and_contained() -> None:
    path = BAD / "unbalanced.bib"
    result = read_ok(path)
    assert [p.title for p in result.papers] == ["A Good Entry", "After the Broken One"]
    assert strs(result.skipped) == [
        f'{path}:7: entry "broken_2021" has unbalanced braces (1 "{{" not closed) — fix the braces'
    ]


def test_readers_bibtex_extra_brace_and_unparseable_entry(tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_text(
        "@article{early,\n  title = {Closed}},\n  abstract = {Lost.},\n}\n\n"
        "@article{nocomma,\n  title = {No Comma}\n  abstract = {Between fields.}\n}\n\n"
        "@article{ok,\n  title = {Fine},\n  abstract = {Kept.}\n}\n",
        encoding="utf-8",
    )
    result = read_ok(path)
    assert [p.title for p in result.papers] == ["Fine"]
    assert strs(result.skipped) == [
        f'{path}:1: entry "early" has unbalanced braces (an extra "}}" on line 2) — fix the braces',
        f'{path}:6: entry "nocomma" cannot be parsed — check the commas between fields and the '
        "quotes/braces around values",
    ]


# --------------------------------------------------------------------------------------------
# Encodings and text normalization


def test_readers_latin1_fallback_warns() -> None:
    path = BAD / "latin1.csv"
    result = read_papers([path])
    assert [(p.title, p.abstract) for p in result.papers] == [
        ("Schrödinger Policies", "Naïve agents in café-style worlds: 50 µs per step.")
    ]
    assert strs(result.warnings) == [
        f"{path}: not valid UTF-8 (first bad byte on line 2); read as Latin-1 — re-save the file "
        "as UTF-8 if characters look wrong"
    ]


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        ("utf16.jsonl", ["Déjà vu in Policy Learning"]),
        ("utf8-bom.csv", ["BOM Paper"]),
        ("crlf.jsonl", ["CRLF One", "CRLF Two"]),
        ("crlf.txt", ["CRLF Paper One", "CRLF Paper Two"]),
    ],
)
def test_readers_encodings_and_line_endings(name: str, titles: list[str]) -> None:
    result = read_papers([BAD / name])
    assert [p.title for p in result.papers] == titles
    assert result.warnings == []
    assert all("\r" not in p.abstract and "\n" not in p.abstract for p in result.papers)


def test_readers_utf16_without_bom_and_utf32(tmp_path: Path) -> None:
    record = '{"title": "Wide Text", "abstract": "No byte-order mark."}\n'
    le = tmp_path / "le.jsonl"
    le.write_bytes(record.encode("utf-16-le"))
    be = tmp_path / "be.jsonl"
    be.write_bytes(codecs.BOM_UTF32_BE + record.encode("utf-32-be"))
    assert [p.title for p in read_papers([le, be]).papers] == ["Wide Text"]


def test_readers_control_and_zero_width_characters() -> None:
    result = read_papers([BAD / "control-chars.jsonl"])
    first, second = result.papers
    assert first.title == "ZeroWidthTitle with newline"
    assert first.abstract == "Bell char, null byte, bidimark, BOMinside, line separator and tab."
    assert (second.title, second.abstract) == (
        "Raw control",
        "A raw escape and a zerowidth joiner.",
    )


def test_readers_html_and_latex_in_abstracts() -> None:
    html, latex, jats = read_papers([BAD / "html-latex.jsonl"]).papers
    assert html.title == "Learning with H2O & CO2"
    assert html.abstract == (
        "We show that PPO <beats> TRPO when $a<b$ and $c>d$. Second paragraph — done."
    )
    assert latex.abstract == (
        r"We bound the error by $O(\sqrt{n}\log n)$ with $\epsilon$-greedy exploration."
    )
    assert jats.abstract == "Crossref-style markup."


def test_readers_malformed_urls_warn_and_are_dropped() -> None:
    path = BAD / "bad-urls.jsonl"
    result = read_ok(path)
    assert [(p.title, p.url) for p in result.papers] == [
        ("No Scheme", "https://arxiv.org/abs/1707.06347"),
        ("Bad Scheme", None),
        ("Javascript", None),
        ("Spaces", None),
        ("Bad Port", None),
    ]
    assert result.papers[0].arxiv_id == "1707.06347"
    assert strs(result.warnings) == [
        f'{path}:2: field "url" is not an http(s) URL ("htp:/broken"); ignored',
        f'{path}:3: field "url" is not an http(s) URL ("javascript:alert(1)"); ignored',
        f'{path}:4: field "url" is not an http(s) URL ("https://example.org/a b"); ignored',
        f'{path}:5: field "url" is not an http(s) URL ("http://example.org:99999999x/"); ignored',
    ]
    assert strs(result.skipped) == [f'{path}:6: field "url" must be a string (got a number)']


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "tsv", "atom", "bibtex", "hf-text"])
def test_readers_one_megabyte_abstract(tmp_path: Path, fmt: str) -> None:
    abstract = ("We study policy optimization at scale. " * 27000)[:1_000_000].strip()
    title = "A Very Long Abstract"
    path = tmp_path / f"big.{fmt}"
    if fmt == "jsonl":
        path.write_text(json.dumps({"title": title, "abstract": abstract}) + "\n", encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps([{"title": title, "abstract": abstract}]), encoding="utf-8")
    elif fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        path.write_text(f'title{sep}abstract\n{title}{sep}"{abstract}"\n', encoding="utf-8")
    elif fmt == "atom":
        path.write_text(
            '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>'
            f"{title}</title><summary>{abstract}</summary></entry></feed>",
            encoding="utf-8",
        )
    elif fmt == "bibtex":
        path.write_text(
            f"@article{{big, title={{{title}}}, abstract={{{abstract}}}}}\n", encoding="utf-8"
        )
    else:
        path.write_text(f"{title}\n{abstract}\n", encoding="utf-8")
    (paper,) = read_papers([path], fmt=fmt).papers
    assert paper.title == title
    assert paper.abstract == abstract


# --------------------------------------------------------------------------------------------
# Field helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2409.00588v2", "2409.00588"),
        ("arXiv:2409.00588", "2409.00588"),
        ("https://arxiv.org/pdf/2409.00588v1.pdf", "2409.00588"),
        ("http://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("10.48550/arXiv.1707.06347", "1707.06347"),
        ("https://huggingface.co/papers/2409.00588", "2409.00588"),
        ("not an id", None),
        ("12345", None),
    ],
)
def test_readers_parse_arxiv_id(value: str, expected: str | None) -> None:
    assert parse_arxiv_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-09-01T01:11:58Z", "2024-09-01"),
        ("2024-9-1", "2024-09-01"),
        ("2024-09", "2024-09"),
        (2017, "2017"),
        ("2017", "2017"),
        ("Sep 1, 2024", "2024-09-01"),
        ("1 September 2024", "2024-09-01"),
        ("Published in NeurIPS 2023", "2023"),
        ("2024-13-45", None),
        ("soon", None),
    ],
)
def test_readers_parse_published(value: str | int, expected: str | None) -> None:
    assert parse_published(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Schulman, John and Wolski, Filip and others", ["John Schulman", "Filip Wolski"]),
        ("John Schulman and Filip Wolski", ["John Schulman", "Filip Wolski"]),
        ("A. Author, B. Author", ["A. Author", "B. Author"]),
        ("Doe, J.; Roe, R.", ["Doe, J.", "Roe, R."]),
    ],
)
def test_readers_split_authors(value: str, expected: list[str]) -> None:
    assert split_authors(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://github.com/a/b", "https://github.com/a/b"),
        ("www.example.org/x", "https://www.example.org/x"),
        ("ftp://example.org/x", None),
        ("http://localhost", None),
        ("", None),
    ],
)
def test_readers_normalize_url(value: str, expected: str | None) -> None:
    assert normalize_url(value) == expected


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a<b and c>d", "a<b and c>d"),
        ("x &amp; y &lt;z&gt;", "x & y <z>"),
        ("R&D and AT&T", "R&D and AT&T"),
        ("e\u0301t\u00e9", "été"),
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
        ("line\none\r\ntwo\tthree", "line one two three"),
        ("Abstract: We study.", "Abstract: We study."),  # labels are only dropped from abstracts
        ("\ud800lone surrogate", "lone surrogate"),
    ],
)
def test_readers_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_readers_abstract_label_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"title": "A", "abstract": "Abstract: We study A."}\n'
        '{"title": "B", "abstract": "Abstract reasoning is hard."}\n',
        encoding="utf-8",
    )
    assert [p.abstract for p in read_papers([path]).papers] == [
        "We study A.",
        "Abstract reasoning is hard.",
    ]


def test_readers_clean_text_collapses_every_unicode_space() -> None:
    import re
    import sys

    spaces = [chr(cp) for cp in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(cp))]
    assert "\u3000" in spaces and "\x1c" in spaces
    for ch in spaces:
        assert clean_text(f"{ch}a{ch}{ch}b {ch}") == "a b", hex(ord(ch))
        assert clean_text(f"a{ch}b") == "a b", hex(ord(ch))
    # clean_text returns printable text without doubled or outer spaces unchanged
    assert [ch for ch in spaces if ch.isprintable()] == [" "]
    assert clean_text(" a  b ") == "a b" and clean_text("a b") == "a b"


def test_readers_problem_str() -> None:
    assert str(Problem("papers.jsonl", 17, "bad")) == "papers.jsonl:17: bad"
    assert str(Problem("papers.jsonl", None, "bad")) == "papers.jsonl: bad"


def test_readers_unwanted_character_class_covers_unicode_categories() -> None:
    import sys
    import unicodedata

    from kg.readers._common import _UNWANTED

    missing = [
        cp
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        and not _UNWANTED.match(chr(cp))
    ]
    assert missing == []
    assert _UNWANTED.match("a") is None and _UNWANTED.match("\u00e9") is None


@pytest.mark.parametrize(
    "module",
    [
        "__init__",
        "_common",
        "atom",
        "bibtex",
        "delimited",
        "detect",
        "hf_text",
        "json_doc",
        "jsonl",
    ],
)
def test_readers_module_examples_run(module: str) -> None:
    import doctest
    import importlib

    name = "kg.readers" if module == "__init__" else f"kg.readers.{module}"
    outcome = doctest.testmod(importlib.import_module(name))
    assert outcome.attempted > 0 and outcome.failed == 0


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
        ("deep.jsonl", '{"title": "x"}\n{"title": ' + "[" * 100_000 + "]" * 100_000 + "}\n", None),
        (
            "deep.bib",
            "@article{k, title={" + "{" * 5000 + "x" + "}" * 5000 + "}}\n",
            "cannot parse",
        ),
    ],
)
def test_readers_deep_nesting_is_an_input_error(
    tmp_path: Path, name: str, content: str, expected: str | None
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    if expected is None:  # JSONL: only the deep line is invalid
        result = read_ok(path)
        assert [p.title for p in result.papers] == ["x"]
        assert strs(result.skipped) == [f"{path}:2: JSON nested too deeply"]
        return
    with pytest.raises(InputError) as info:
        read_papers([path], skip_invalid=True)
    assert str(info.value).startswith(f"{path}: {expected}")


def test_readers_deeply_nested_atom_markup(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    path.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>'
        + "<b>" * 50_000
        + "Deep"
        + "</b>" * 50_000
        + "</title><summary>Fine.</summary></entry></feed>",
        encoding="utf-8",
    )
    assert [p.title for p in read_papers([path]).papers] == ["Deep"]


def test_readers_bibtex_library_warnings_are_not_printed(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "strings.bib"
    path.write_text(
        '@string{venue = "A"}\n@string{venue = "B"}\n'
        "@article{k, title = {Kept}, journal = venue}\n",
        encoding="utf-8",
    )
    assert [p.title for p in read_papers([path]).papers] == ["Kept"]
    assert capfd.readouterr() == ("", "")


def test_readers_long_titles_sharing_a_slug_prefix_stay_apart(tmp_path: Path) -> None:
    stem = "A Unified Framework for Offline Reinforcement Learning with Diffusion Policies and"
    path = tmp_path / "long.jsonl"
    path.write_text(
        json.dumps({"title": f"{stem} Value Guidance", "abstract": "First."})
        + "\n"
        + json.dumps({"title": f"{stem} Reward Shaping", "abstract": "Second."})
        + "\n",
        encoding="utf-8",
    )
    result = read_papers([path])
    first, second = result.papers
    assert first.id == "paper:" + slug(f"{stem} Value Guidance")[:80]
    assert second.id.startswith(first.id + "-") and len(second.id) == len(first.id) + 9
    assert result.warnings == []


def test_readers_unicode_line_separators_inside_records_are_not_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "raw.jsonl"
    record = {"title": "Raw\u2028Separator", "abstract": "Next\x85line and form\x0cfeed."}
    path.write_text(
        json.dumps(record, ensure_ascii=False) + "\n" + json.dumps({"title": "Two"}) + "\n",
        encoding="utf-8",
    )
    result = read_papers([path])
    assert [(p.title, p.abstract, p.source) for p in result.papers] == [
        ("Raw Separator", "Next line and form feed.", f"{path}:1"),
        ("Two", "", f"{path}:2"),
    ]
    page = tmp_path / "mac.txt"
    page.write_bytes(b"Old Mac Title\rAn abstract with old line ends. It has two sentences.\r")
    assert [p.title for p in read_papers([page]).papers] == ["Old Mac Title"]


def test_readers_atom_paper_titled_error_is_not_an_api_error(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2101.00001v1</id>'
        "<title>Error</title><summary>A paper about errors.</summary></entry></feed>",
        encoding="utf-8",
    )
    assert [(p.id, p.title) for p in read_papers([path]).papers] == [("paper:2101.00001", "Error")]
