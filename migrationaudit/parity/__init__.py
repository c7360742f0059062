"""Does the new page replace the old one? Page text facts and their similarity (text), the
snapshot of the legacy pages before cutover (snapshot), the ``parity-*`` rules (rules).

The submodules are imported where they are used: the crawl reads page text through
:mod:`~migrationaudit.parity.text` alone."""
