"""Output formats (installed as migrationaudit.reports); templates/ holds the Jinja templates."""
