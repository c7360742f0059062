"""``python -m migrationaudit.cli``."""

from migrationaudit.cli import main

main()
