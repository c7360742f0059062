"""The value of pages read from link and traffic exports (:mod:`migrationaudit.inputs.priority`):
the :class:`PriorityIndex` of every page, the loose join key (:func:`page_key`) it shares with
the access logs, and the valuable pages that no input covers (:func:`valuable_unmapped`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from migrationaudit.models.inputs import LegacyURL, LinkValue, Origin
from migrationaudit.web.urls import normalize


@dataclass(frozen=True)
class PriorityIndex:
    """Every page of the exports with its merged :class:`LinkValue`, keyed loosely.

    ``rows`` counts data rows read, ``skipped`` rows whose URL could not be used."""

    values: Mapping[str, LinkValue]
    urls: Mapping[str, str]  # loose key → the URL as the first export spelled it
    files: tuple[str, ...]
    rows: int = 0
    skipped: int = 0

    def get(self, url: str) -> LinkValue | None:
        """The value of ``url`` (any scheme, www or trailing-slash variant), None if unknown."""
        return self.values.get(page_key(url))

    def pages(self) -> Iterator[tuple[str, LinkValue]]:
        """(URL as exported, value) for every page, in the order first seen."""
        for key, value in self.values.items():
            yield self.urls[key], value

    def notes(self) -> dict[str, int | list[str]]:
        """Counts for the run metadata."""
        return {
            "files": list(self.files),
            "rows": self.rows,
            "pages": len(self.values),
            "valuable_pages": sum(1 for v in self.values.values() if v.valuable),
            "skipped_rows": self.skipped,
        }


def page_key(url: str) -> str:
    """The loose join key: host without ``www.``, path without a trailing slash, the query;
    scheme, port defaults, case of the host and escapes as :func:`normalize` does."""
    norm = normalize(url)
    try:
        parts = urlsplit(norm)
    except ValueError:
        return norm
    host = parts.netloc.lower()
    host = host[4:] if host.startswith("www.") else host
    path = parts.path[:-1] if len(parts.path) > 1 and parts.path.endswith("/") else parts.path
    return urlunsplit(("", host, path or "/", parts.query, ""))


def valuable_unmapped(index: PriorityIndex, legacy: Iterable[LegacyURL]) -> list[LegacyURL]:
    """Pages of the exports with links, clicks or traffic that no legacy URL covers (by the
    loose key), as legacy URLs to audit, most valuable first. Their origin is the export row."""
    covered = {page_key(item.url) for item in legacy}
    out = [
        (value, LegacyURL(url=url, origin=value.origin or Origin(index.files[0], 0)))
        for url, value in index.pages()
        if value.valuable and page_key(url) not in covered
    ]
    out.sort(key=lambda pair: pair[0].rank_key, reverse=True)
    return [item for _, item in out]
