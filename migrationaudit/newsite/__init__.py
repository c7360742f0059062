"""The new site's side of an audit, by when each part runs.

- before the crawl: :mod:`~migrationaudit.newsite.plan` (which hosts are new, old, staging;
  the crawl's site job) and :mod:`~migrationaudit.newsite.job` (what a crawl process is asked
  to do, and the files it reports through);
- during it: :mod:`~migrationaudit.newsite.work` (the state machine the hop spider drives:
  robots.txt, sitemaps, the ``--crawl``, canonical/hreflang targets) and
  :mod:`~migrationaudit.newsite.variants` (URL variants);
- after it: :mod:`~migrationaudit.newsite.records` (what the crawl found besides hop records)
  and :mod:`~migrationaudit.newsite.context` (the graph annotated, the rules' site context).
"""
