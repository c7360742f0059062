"""What a rule needs besides the redirect map's rows: one :class:`Need` per kind of input, each
carrying the reason shown when a rule needing it is skipped.

The reason texts are output (the ``skipped`` entries of ``findings.json`` and the reports), so
they are part of the contract. Which reason applies to a context is decided in one place,
:func:`migrationaudit.checks.skip_reason`.

Examples
--------
A member is its registry string, so ``needs="map"`` and ``Need.MAP`` are the same thing:

>>> Need("map") is Need.MAP, Need.MAP == "map"
(True, True)
>>> Need.SNAPSHOT.reason
'no --snapshot or --old-origin given'
>>> Need.ROBOTS.on_site, Need.CRAWL.on_site
(True, False)
"""

from __future__ import annotations

from enum import StrEnum

DISABLED = "disabled by configuration"
NO_CRAWL = "no crawl was run"
NO_MAP = "no redirect map given"
NO_PRIORITY = "no --priority export given"
NO_RULE_FILE = "no host rule file predicted (check-map --map-format netlify|cloudflare|amplify)"
NO_ACCESS_LOG = "no --access-log given"
NO_HOSTS = "no host check ran (after launch: --launched)"
NO_SNAPSHOT = "no --snapshot or --old-origin given"
NO_PROBES = "no catch-all probes requested (--catch-all-probes)"
# The new site's side (migrationaudit.newsite): why a rule needing part of it is skipped.
NO_SITE_STAGE = "the new-site stage did not run"
NO_NEW_SITE = "no new-site host known (give a map with targets, --new-host, --crawl or --sitemap)"
NO_SITEMAP = "no new-site sitemap found (robots.txt Sitemap: lines, /sitemap.xml, --sitemap)"
NO_SITEMAP_READ = "no new-site sitemap could be read"
NO_DISCOVERY = "sitemaps not looked for (--no-sitemap-discovery) and none given (--sitemap)"
NO_ROBOTS = "robots.txt not read (--no-robots)"
NO_SITE_CRAWL = "the new site was not crawled (--crawl)"
NO_VARIANTS = "URL variants not requested (--variants)"
# old-sitemap-unredirected judges listed URLs too, once the new site's hosts are known.
NO_OLD_HOSTS = (
    "no legacy sitemap given (--old-sitemap) and no new-site host known to tell the listed "
    "URLs' hosts from the new site's (give a map with targets or --new-host)"
)


class Need(StrEnum):
    """An input a rule needs; :attr:`reason` says why the rule is skipped without it.

    ``priority``: a map and a ``--priority`` export; ``rule-file``: a host rule file read as
    one (``check-map --map-format netlify|cloudflare|amplify``, :mod:`migrationaudit.preflight`);
    ``access-log``: a crawl and an ``--access-log``; ``hosts``: the host checks (``--launched``);
    ``snapshot``: a crawl and a ``--snapshot``; ``probes``: a crawl and
    ``--catch-all-probes``. The members after ``probes`` are parts of the new site's side (a
    crawl and the new-site stage first; :attr:`on_site`).
    """

    MAP = "map"
    CRAWL = "crawl"
    PRIORITY = "priority"
    RULE_FILE = "rule-file"
    ACCESS_LOG = "access-log"
    HOSTS = "hosts"
    SNAPSHOT = "snapshot"
    PROBES = "probes"
    NEW_SITE = "new-site"
    SITEMAP = "sitemap"
    SITEMAP_READ = "sitemap-read"
    SITEMAP_FILE = "sitemap-file"
    ROBOTS = "robots"
    SITE_CRAWL = "site-crawl"
    VARIANTS = "variants"
    OLD_SITEMAP = "old-sitemap"

    @property
    def reason(self) -> str:
        """Why a rule needing this is skipped when it is missing (the most common case; a
        missing crawl or new-site stage comes first, and the sitemaps say what they lack)."""
        return _REASONS[self]

    @property
    def on_site(self) -> bool:
        """Part of the new site's side: needs a crawl and the new-site stage first."""
        return self in _ON_SITE


_REASONS = {
    Need.MAP: NO_MAP,
    Need.CRAWL: NO_CRAWL,
    Need.PRIORITY: NO_PRIORITY,
    Need.RULE_FILE: NO_RULE_FILE,
    Need.ACCESS_LOG: NO_ACCESS_LOG,
    Need.HOSTS: NO_HOSTS,
    Need.SNAPSHOT: NO_SNAPSHOT,
    Need.PROBES: NO_PROBES,
    Need.NEW_SITE: NO_NEW_SITE,
    Need.SITEMAP: NO_SITEMAP,
    Need.SITEMAP_READ: NO_SITEMAP_READ,
    Need.SITEMAP_FILE: NO_SITEMAP,
    Need.ROBOTS: NO_ROBOTS,
    Need.SITE_CRAWL: NO_SITE_CRAWL,
    Need.VARIANTS: NO_VARIANTS,
    Need.OLD_SITEMAP: NO_OLD_HOSTS,
}
_ON_SITE = frozenset(list(Need)[list(Need).index(Need.NEW_SITE) :])
