"""The built-in demo migration and the test suite's fixture server: a whole migration (old and
new hosts) served from one JSON site definition (``sample_maps/*/site.json``).

- :mod:`~migrationaudit.demo.site`: the site definition read and checked (:func:`parse_site`);
- :mod:`~migrationaudit.demo.render`: pages, sitemaps and bodies rendered from its routes;
- :mod:`~migrationaudit.demo.tls`: a throw-away CA for the HTTPS listener;
- :mod:`~migrationaudit.demo.server`: :class:`ScenarioServer`, every routed host on one HTTP and
  one HTTPS listener on 127.0.0.1 (``python -m migrationaudit.demo SITE.json`` serves one by
  hand).
"""
