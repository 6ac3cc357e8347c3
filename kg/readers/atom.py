"""Reader for Atom feeds as returned by the arXiv API (``export.arxiv.org/api/query``).

Each ``<entry>`` gives the arXiv id (from ``<id>http://arxiv.org/abs/2409.00588v2</id>``, version
dropped), title, summary, authors, published date and the abs link. Parsing goes through
defusedxml, so entity-expansion and external-entity tricks are refused. An arXiv API error entry
(``<title>Error</title>``, id under ``arxiv.org/api/errors``) is an invalid record.

Example:
    >>> feed = ('<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
    ...         '<id>http://arxiv.org/abs/1707.06347v2</id><title>PPO</title>'
    ...         '<summary>We study PPO.</summary></entry></feed>')
    >>> [r.fields["arxiv_id"][1] for r in read_atom(feed, "q.xml")]
    ['1707.06347']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from kg.errors import InputError
from kg.readers._common import Item, Problem, RawRecord, clean_text, parse_arxiv_id

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_ENTRY_TAG = re.compile(r"<(?:[\w.-]+:)?entry[\s>/]")
_COMMENT = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: Element, name: str) -> Element | None:
    for child in elem:
        if _local(child.tag) == name:
            return child
    return None


def _text(elem: Element, name: str) -> str | None:
    child = _child(elem, name)
    return None if child is None else "".join(child.itertext())


def _entry_lines(text: str) -> list[int]:
    """Line numbers of ``<entry`` start tags, in document order (comments/CDATA ignored)."""
    blanked = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    return [blanked.count("\n", 0, m.start()) + 1 for m in _ENTRY_TAG.finditer(blanked)]


def read_atom(text: str, name: str) -> Iterator[Item]:
    """Yield one raw record (or problem) per ``<entry>`` of an Atom feed.

    Args:
        text: The decoded file.
        name: The file name for messages.

    Yields:
        RawRecord per entry; Problem for arXiv API error entries.

    Raises:
        InputError: When the XML is malformed, uses entities/DTDs, or is not an Atom feed.
    """
    # The text is already decoded; a declaration naming another encoding would confuse expat.
    xml = _XML_DECL.sub(lambda m: " " * len(m.group()), text, count=1)
    try:
        root = fromstring(xml)
    except DefusedXmlException:
        raise InputError(
            f"{name}: XML entity or DTD declarations are not allowed (possible entity-expansion "
            "attack) — remove the <!DOCTYPE> / <!ENTITY> part"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = f"{name}:{line}" if line else name
        reason = str(exc).split(":")[0]
        raise InputError(
            f"{where}: malformed XML ({reason}, column {column}) — fix the file"
        ) from None
    except (ValueError, RecursionError) as exc:
        reason = clean_text(str(exc))[:200]
        raise InputError(f"{name}: malformed XML ({reason}) — fix the file") from None
    if _local(root.tag) == "entry":
        entries = [root]
    elif _local(root.tag) == "feed":
        entries = [child for child in root if _local(child.tag) == "entry"]
    else:
        raise InputError(
            f"{name}: not an Atom feed (root element <{_local(root.tag)}>) — expected the XML "
            "the arXiv API returns"
        )
    lines = _entry_lines(text)
    if len(lines) != len(entries):
        lines = [None] * len(entries)  # type: ignore[list-item]
    for entry, line in zip(entries, lines, strict=True):
        yield _entry_record(entry, line, name)


def _entry_record(entry: Element, line: int | None, name: str) -> Item:
    raw_id = (_text(entry, "id") or "").strip()
    title = _text(entry, "title")
    summary = _text(entry, "summary")
    arxiv_id = parse_arxiv_id(raw_id) if raw_id else None
    titled_error = (title or "").strip().lower() == "error" and arxiv_id is None
    if "arxiv.org/api/errors" in raw_id or titled_error:
        detail = clean_text(summary or raw_id) or "unknown error"
        return Problem(
            name, line, f"arXiv API error entry: {detail} — fix the query that produced the feed"
        )
    fields: dict[str, tuple[str, object]] = {
        "title": ("title", title),
        "abstract": ("summary", summary if summary is not None else _text(entry, "content")),
    }
    if arxiv_id:
        fields["arxiv_id"] = ("id", arxiv_id)
    url = None
    for link in entry:
        if _local(link.tag) != "link":
            continue
        rel = link.get("rel", "alternate")
        if rel == "alternate" and link.get("href"):
            url = link.get("href")
            break
    if url is None and raw_id.startswith(("http://", "https://")):
        url = raw_id
    if url:
        fields["url"] = ("link", url)
    authors = []
    for author in entry:
        if _local(author.tag) == "author":
            author_name = _text(author, "name")
            if author_name and author_name.strip():
                authors.append(author_name)
    if authors:
        fields["authors"] = ("author", authors)
    published = _text(entry, "published") or _text(entry, "updated")
    if published:
        fields["published"] = ("published", published)
    return RawRecord(line, fields)
