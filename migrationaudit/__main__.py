"""``python -m migrationaudit``: the same command line as the ``migrationaudit`` script."""

from migrationaudit.cli import main

main(prog_name="migrationaudit")
