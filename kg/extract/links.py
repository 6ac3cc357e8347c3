"""URLs in titles and abstracts: detection, normalization and kind.

Pure functions; :class:`LinkDetector` stores the results as plain tuples in ``doc.user_data``
(URLs need not align with spaCy tokens, and plain data survives multiprocessing).

Example:
    >>> from kg.extract.links import find_links
    >>> [(url, kind) for _, _, url, kind in find_links("Code: github.com/owner/repo/tree/main.")]
    [('https://github.com/owner/repo', 'code')]
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from spacy.language import Language
from spacy.tokens import Doc

from kg.extract.sentences import BatchedComponent, doc_text

_TLDS = (
    "com|org|net|io|ai|dev|edu|gov|info|page|app|xyz|site|tech|science|ml|uk|de|fr|cn|jp|"
    "ch|ca|au|nl|eu|ly|tv|cc|kr|ru|sg|se|es|pl"
)
# Scheme / www. URLs; bare host names are found from their ".tld" (a literal start lets the regex
# engine skip ahead) and extended backwards. Character classes without nested quantifiers keep
# matching linear.
_SCHEME_URL = re.compile(r"(?:https?://|ftp://|www\.|HTTPS?://|WWW\.)[^\s<>\"'()\[\]{}]+")
_TLD = re.compile(r"\.(?:" + _TLDS + r")(?![A-Za-z0-9-])")
_HOST_BEFORE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,62}\.)*[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
_PATH_AFTER = re.compile(r"[/:?#][^\s<>\"'()\[\]{}]*")
_TRAILING = ".,;:!?'\"*"
_CODE_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"})
_VIDEO_HOSTS = frozenset({"youtube.com", "youtu.be", "vimeo.com", "bilibili.com"})
_NOT_REPO = frozenset(
    {"orgs", "users", "topics", "sponsors", "collections", "settings", "features", "about",
     "spaces", "docs", "blog", "papers", "models", "datasets", "organizations", "login", "join"}
)
KINDS = ("code", "model", "dataset", "project_page", "video", "other")


def strip_trailing(url: str) -> str:
    """Remove sentence punctuation after a URL ("site.io)." -> "site.io").

    Args:
        url: A URL as matched in running text.

    Returns:
        The URL without trailing punctuation or an unbalanced closing bracket.
    """
    while url:
        if url[-1] in _TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        else:
            break
    return url


def _split(url: str) -> tuple[str, str, list[str]]:
    """(scheme, host, path parts) of ``url`` with or without a scheme."""
    has_scheme = "://" in url
    parts = urlsplit(url if has_scheme else "https://" + url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    path = [p for p in parts.path.split("/") if p]
    return (parts.scheme if has_scheme else ""), host, path


def link_kind(url: str) -> str:
    """Classify a URL as code, model, dataset, project_page, video or other.

    Args:
        url: A URL with or without scheme.

    Returns:
        One of :data:`KINDS` (the values of ``kg.models.LinkKind``).
    """
    _, host, path = _split(url)
    if host in _CODE_HOSTS:
        if len(path) >= 2 and path[0] not in _NOT_REPO:
            return "code"
        return "other" if not path else "project_page"
    if host in ("huggingface.co", "hf.co"):
        if path and path[0] == "datasets":
            return "dataset"
        if path and path[0] in ("spaces", "papers", "blog", "docs"):
            return "project_page" if path[0] == "spaces" else "other"
        return "model" if path else "other"
    if host in _VIDEO_HOSTS or host.endswith(".youtube.com"):
        return "video"
    if host in ("arxiv.org", "doi.org", "openreview.net", "aclanthology.org"):
        return "other"
    return "project_page"


def normalize_url(url: str) -> str:
    """Canonical form of a URL: https scheme added, repository links cut to the repository root.

    ``github.com/owner/name/tree/main`` -> ``https://github.com/owner/name``;
    ``huggingface.co/datasets/o/n/viewer`` -> ``https://huggingface.co/datasets/o/n``;
    other URLs keep their path, lose a trailing slash and punctuation.

    Args:
        url: A URL as found in text.

    Returns:
        The normalized URL.
    """
    url = strip_trailing(url.strip())
    scheme, host, path = _split(url)
    scheme = scheme.lower() if scheme in ("http", "https") else "https"
    if host in _CODE_HOSTS and len(path) >= 2 and path[0] not in _NOT_REPO:
        name = path[1][:-4] if path[1].endswith(".git") else path[1]
        return f"https://{host}/{path[0]}/{name}"
    if host in ("huggingface.co", "hf.co"):
        if path and path[0] == "datasets":
            return "https://huggingface.co/" + "/".join(path[:3])
        if path and path[0] not in ("spaces", "papers", "blog", "docs"):
            return "https://huggingface.co/" + "/".join(path[:2])
    rest = url.split("://", 1)[1] if "://" in url else url
    if rest.lower().startswith("www."):
        rest = rest[4:]
    slash = rest.find("/")
    hostpart, tail = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    return f"{scheme}://{hostpart.lower()}{tail}".rstrip("/")


def repo_key(url: str) -> str | None:
    """The repository a URL points at, as ``github:owner/name``, ``huggingface:owner/name`` or
    ``huggingface:datasets/owner/name`` (``None`` for pages that are no repository).

    Args:
        url: A URL with or without scheme.

    Returns:
        The key used in repo entity ids (``repo:<key>``), or None.
    """
    _, host, path = _split(strip_trailing(url.strip()))
    if host in _CODE_HOSTS and len(path) >= 2 and path[0] not in _NOT_REPO:
        name = path[1][:-4] if path[1].endswith(".git") else path[1]
        return f"{host.split('.')[0]}:{path[0]}/{name}"
    if host in ("huggingface.co", "hf.co") and path:
        if path[0] == "datasets" and len(path) >= 2:
            return "huggingface:datasets/" + "/".join(path[1:3])
        if path[0] not in ("spaces", "papers", "blog", "docs", "datasets"):
            return "huggingface:" + "/".join(path[:2])
    return None


def find_links(text: str) -> list[tuple[int, int, str, str]]:
    """Every URL in ``text``.

    Args:
        text: Any string.

    Returns:
        ``(start, end, normalized_url, kind)`` tuples; ``text[start:end]`` is the URL as written
        without trailing punctuation.
    """
    if "." not in text:
        return []
    raw_spans: list[tuple[int, int]] = []
    if "://" in text or "www." in text or "WWW." in text:
        for match in _SCHEME_URL.finditer(text):
            raw_spans.append(match.span())
    for tld in _TLD.finditer(text):
        dot = tld.start()
        if any(s <= dot < e for s, e in raw_spans):
            continue
        host = _HOST_BEFORE.search(text, max(0, dot - 200), dot)
        if host is None:
            continue
        start = host.start()
        if start > 0 and text[start - 1] in "@/.-_":
            continue
        end = tld.end()
        path = _PATH_AFTER.match(text, end)
        if path:
            end = path.end()
        raw_spans.append((start, end))
    found = []
    for start, end in sorted(raw_spans):
        raw = strip_trailing(text[start:end])
        if not raw or "." not in raw:
            continue
        found.append((start, start + len(raw), normalize_url(raw), link_kind(raw)))
    return found


@Language.factory("kg_links")
class LinkDetector(BatchedComponent):
    """spaCy component: ``doc.user_data["kg_links"]`` = list of :func:`find_links` tuples."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data["kg_links"] = find_links(doc_text(doc))
        return doc
