"""Pre-flight: predict what a host answers from its redirect rule file alone.

The stages, in data-flow order:

- :mod:`~migrationaudit.preflight.model`: a host rule (one line of the file), a rule the host
  ignores, a parsed rule file, and the facts about the file that the rules judge.
- :mod:`~migrationaudit.preflight.read`: which format a file is (detection) and its reader.
- :mod:`~migrationaudit.preflight.formats`: Netlify and Cloudflare Pages ``_redirects``, AWS
  Amplify JSON; :mod:`~migrationaudit.preflight.hostfiles`: ``netlify.toml``, ``vercel.json``,
  Cloudflare Bulk Redirects CSV; :mod:`~migrationaudit.preflight.nginx` (read by
  :mod:`~migrationaudit.preflight.nginxconf` with crossplane) and
  :mod:`~migrationaudit.preflight.apache` (read by :mod:`~migrationaudit.preflight.apacheconf`):
  servers answering with their own precedence. Each read with its host's semantics
  (documented there, with the sources).
- :mod:`~migrationaudit.preflight.simulate`: given a URL, what the host answers (status,
  Location, the rule's line): first match in file order, the most specific Bulk Redirect, or
  the server's own answer.
- :mod:`~migrationaudit.preflight.analysis`: shadowed rules and rules whose target another
  rule catches.
- :mod:`~migrationaudit.preflight.predict`: every exact source's chain, hop by hop, as
  ordinary :class:`~migrationaudit.models.hops.Hop` records judged by the ordinary rules.
- :mod:`~migrationaudit.preflight.rules`: ``rule-shadowed``, ``rule-ignored``,
  ``rule-chain-source``, ``live-differs-from-rules``.
- :mod:`~migrationaudit.preflight.fixcheck`: the server files ``fixes/`` writes, checked by the
  simulator before they are written.

This package imports nothing at import time: :mod:`migrationaudit.checks` names the facts type
under ``TYPE_CHECKING`` only.
"""
