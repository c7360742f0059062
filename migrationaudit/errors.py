"""One exception tree for everything that stops an audit from finishing.

::

    MigrationAuditError            exit code 2 from the CLI
    ├── ConfigError                bad option or config value
    ├── InputError                 bad input file (carries file and line)
    ├── CrawlError                 the crawl machinery itself failed (not the audited site)
    └── ReportError                an output could not be written

A failure *on the audited site* (404, timeout, refused connection) is never an exception: it is
a :class:`~migrationaudit.models.Hop` with ``error`` set, judged by the rules.
"""

from __future__ import annotations


class MigrationAuditError(Exception):
    """Root of the tree."""


class ConfigError(MigrationAuditError):
    """An option or configuration value is invalid."""


class InputError(MigrationAuditError):
    """An input file is unreadable or malformed; names the file and line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.reason = message
        where = file or ""
        if file is not None and line is not None:
            where = f"{file}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class CrawlError(MigrationAuditError):
    """The crawl process could not run or died (not: the site answered badly)."""


class ReportError(MigrationAuditError):
    """An output file could not be written."""
