"""A response (or a failure) as one :class:`Hop` record: its kind, its target, its error."""

from __future__ import annotations

from dataclasses import replace

from scrapy.http import Response

from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.spiders.extract import (
    BODY_FLAGS,
    header_values,
    kept_headers,
    meta_content,
    page_facts,
    parse_refresh,
    resolve_target,
)
from migrationaudit.web.location import mask_userinfo, resolve_location


def hop_from_response(response: Response, url: str, *, links: bool = False) -> Hop:
    """Classify one HTTP answer for ``url`` into a Hop (see models.HopKind). With ``links``,
    a healthy HTML page's facts carry its links too. A body that was not read whole says so
    in ``Hop.body``."""
    hop = _classify(response, url, links=links)
    flag = next((f for f in BODY_FLAGS if f in response.flags), None)
    hop = replace(hop, body=flag) if flag is not None else hop
    # The after-launch checks: how long a redirect may be cached, and HSTS on https pages.
    expires = header_values(response, "Expires")
    hsts = header_values(response, "Strict-Transport-Security")
    if expires or hsts:
        hop = replace(hop, expires=", ".join(expires) or None, hsts=", ".join(hsts) or None)
    return hop


def _classify(response: Response, url: str, *, links: bool = False) -> Hop:
    status = response.status
    headers = kept_headers(response)
    elapsed = float(meta_content(response).get("hop_elapsed_ms", 0.0))
    locations = header_values(response, "Location")
    # A Location's password is not ours to publish: records and reports show it masked.
    location = mask_userinfo(locations[0]) if locations else None
    if "location" in headers:
        headers["location"] = ", ".join(mask_userinfo(v) for v in locations)
    if 300 <= status < 400:
        # Read as browsers read it; where RFC 3986 reads it otherwise, ``ambiguity`` says so.
        resolved = resolve_location(url, locations)
        if resolved.target is None:
            return Hop(
                url=url,
                status=status,
                kind=HopKind.FINAL,
                location=location,
                error=resolved.error,
                elapsed_ms=elapsed,
                headers=headers,
                page=page_facts(response, url),
                ambiguity=resolved.ambiguity,
            )
        return Hop(
            url=url,
            status=status,
            kind=HopKind.HTTP_REDIRECT,
            location=location,
            target=resolved.target,
            elapsed_ms=elapsed,
            headers=headers,
            ambiguity=resolved.ambiguity,
        )
    page = page_facts(response, url, links=links and 200 <= status < 300)
    refresh_values = [page.meta_refresh, *header_values(response, "Refresh")]
    for value in refresh_values:
        parsed = parse_refresh(value)
        if parsed is None or parsed[1] is None:
            continue
        target = resolve_target(url, parsed[1])
        if target is not None and target != url:
            return Hop(
                url=url,
                status=status,
                kind=HopKind.META_REFRESH,
                location=location,
                target=target,
                elapsed_ms=elapsed,
                headers=headers,
                page=page,
            )
        break  # the first refresh wins, as in browsers; a self-refresh is not a redirect
    return Hop(
        url=url,
        status=status,
        kind=HopKind.FINAL,
        location=location,
        elapsed_ms=elapsed,
        headers=headers,
        page=page,
    )


def synthetic_hop(url: str, error: str) -> Hop:
    """The record of a URL that is never requested (bad scheme, unparsable)."""
    return Hop(url=url, status=None, kind=HopKind.NETWORK_ERROR, error=error)


