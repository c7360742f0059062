"""Distributed audits: one Redis, a coordinator (``audit --redis``), any number of workers
(``migrationaudit worker``).

- :mod:`~migrationaudit.distributed.store`: a job's keys, a connection with bounded timeouts;
  :mod:`~migrationaudit.distributed.scripts`: the Lua scripts (frontier, leases, records,
  politeness slots).
- :mod:`~migrationaudit.distributed.coordinator` and :mod:`~migrationaudit.distributed.gather`:
  publish the job, seed the frontier, gather the hop records into the run folder.
- :mod:`~migrationaudit.distributed.worker` (waits for jobs),
  :mod:`~migrationaudit.distributed.child`
  (one Scrapy process per job), :mod:`~migrationaudit.distributed.spider` and
  :mod:`~migrationaudit.distributed.handler` (the local crawl's pieces, fed from Redis).
"""
