"""The commands, one module each; :mod:`migrationaudit.cli` adds them to the ``migrationaudit``
group."""
