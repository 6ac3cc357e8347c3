"""Property-based tests for kg.readers: arbitrary input never crashes a reader with anything but
InputError, and what comes out is always clean."""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import InputError
from kg.readers import FORMATS, ReadResult, read_papers

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_UNWANTED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_TMP = Path(tempfile.mkdtemp(prefix="kg-readers-prop-"))

# Text that looks a bit like each format, so the readers get past their first checks.
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_FIELD = st.sampled_from(
    [
        "title",
        "abstract",
        "summary",
        "id",
        "url",
        "arxiv_id",
        "authors",
        "published",
        "year",
        "source",
        "x",
    ]
)
_RECORDS = st.dictionaries(_FIELD, _JSON_VALUES, max_size=6)
_PIECES = st.sampled_from(
    [
        "@article{",
        "}",
        "{",
        "title = ",
        "abstract=",
        ",",
        "\n",
        '"',
        "<entry>",
        "</entry>",
        "<title>",
        "</title>",
        "<summary>",
        "&amp;",
        "&lol;",
        "<!DOCTYPE x>",
        '\\"o',
        "$",
        "\t",
        "\r\n",
        "Subscribe",
        "Get trending papers in your email inbox!",
        "[",
        "]",
        ":",
        "\u200b",
        "\x00",
        "\ufeff",
        "http://",
        "arxiv.org/abs/2409.00588v2",
        "<b>",
        "</b>",
        '@string{a = "b"}',
        "% c",
        "\\",
        "''",
    ]
)
_FORMAT_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=40).map("".join)


def _check(result: ReadResult) -> None:
    for paper in result.papers:
        assert paper.id.startswith("paper:") and len(paper.id) > len("paper:")
        assert paper.title or paper.abstract
        for text in (paper.title, paper.abstract):
            assert text == text.strip() and "\n" not in text and "  " not in text
            assert not any(unicodedata.category(ch) in _UNWANTED_CATEGORIES for ch in text)
            text.encode("utf-8")  # no lone surrogates
    assert len({p.id for p in result.papers}) == len(result.papers)


def _read(path: Path, fmt: str | None, skip_invalid: bool) -> None:
    try:
        result = read_papers([path], fmt=fmt, skip_invalid=skip_invalid)
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(str(path))
        return
    _check(result)


@pytest.mark.parametrize("fmt", [*FORMATS, None])
@SETTINGS
@given(data=st.binary(max_size=400))
def test_readers_arbitrary_bytes_only_raise_input_error(fmt: str | None, data: bytes) -> None:
    path = _TMP / f"bytes.{fmt or 'dat'}"
    path.write_bytes(data)
    _read(path, fmt, skip_invalid=True)
    _read(path, fmt, skip_invalid=False)


@pytest.mark.parametrize("fmt", [*FORMATS, None])
@SETTINGS
@given(text=_FORMAT_TEXT)
def test_readers_format_like_text_only_raises_input_error(fmt: str | None, text: str) -> None:
    path = _TMP / f"text.{fmt or 'txt'}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _read(path, fmt, skip_invalid=True)


@SETTINGS
@given(records=st.lists(_RECORDS, max_size=5))
def test_readers_arbitrary_json_records(records: list[dict[str, object]]) -> None:
    jsonl = _TMP / "records.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    doc = _TMP / "records.json"
    doc.write_text(json.dumps({"papers": records}), encoding="utf-8")
    for path in (jsonl, doc):
        _read(path, None, skip_invalid=True)
        _read(path, None, skip_invalid=False)


@SETTINGS
@given(title=st.text(max_size=60), abstract=st.text(max_size=200))
def test_readers_valid_text_round_trips_through_every_format(title: str, abstract: str) -> None:
    """A record written correctly in each structured format reads back to the same paper."""
    records = {
        "jsonl": json.dumps({"title": title, "abstract": abstract}) + "\n",
        "json": json.dumps([{"title": title, "abstract": abstract}]),
    }
    results = []
    for fmt, content in records.items():
        path = _TMP / f"round.{fmt}"
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
        try:
            result = read_papers([path], fmt=fmt)
        except InputError as exc:
            assert 'no "title" and no "abstract"' in str(exc)
            continue
        _check(result)
        results.append([(p.id, p.title, p.abstract) for p in result.papers])
    assert all(r == results[0] for r in results)


_LINE_PIECES = st.sampled_from(["a", "{}", " ", "\n", "\r", "\r\n", "\u2028", "\x0c", ""])


@given(st.lists(_LINE_PIECES, max_size=30))
def test_readers_properties_iter_lines_is_split_lines(pieces: list[str]) -> None:
    from kg.readers._common import iter_lines, split_lines

    text = "".join(pieces)
    lines = list(iter_lines(text))
    assert [(n, line) for n, _, line in lines] == list(enumerate(split_lines(text), 1))
    for _, end, line in lines:  # the end offset is that of the line end (or of the text's end)
        assert end == len(text) or text[end] in "\r\n"
        assert text[:end].removesuffix("\r").endswith(line)

