"""The old hosts after launch: what each legacy host answers besides its redirects (its DNS
answer and its TLS certificate), probed once per host after the crawl (:mod:`.probe`), kept
as plain data (:mod:`.model`) for the rules of :mod:`migrationaudit.checks.hosts`, and merged
into the audit's result (:mod:`.stage`)."""
