"""Which host's rule file a file is, and reading it with that host's semantics."""

from __future__ import annotations

from pathlib import Path

from migrationaudit.errors import InputError
from migrationaudit.preflight.model import FORMATS, RuleFile


def rule_format(path: str | Path, fmt: str) -> str | None:
    """The host format of ``path``: ``fmt`` when it is one, else (``auto``) the detected one,
    None for a plain map (CSV/TSV). InputError when the file fits two formats."""
    from migrationaudit.inputs.mapfiles import detect_format

    if fmt in FORMATS:
        return fmt
    if fmt != "auto":
        return None
    kind = detect_format(path)
    return kind if kind in FORMATS else None


def read_rule_file(path: str | Path, fmt: str) -> RuleFile:
    """Read ``path`` as a rule file of ``fmt`` (one of :data:`FORMATS`)."""
    from migrationaudit.preflight import apacheconf, formats, hostfiles, nginxconf

    if fmt not in FORMATS:
        raise InputError(f"unknown rule-file format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "netlify" and str(path).lower().endswith(".toml"):
        return hostfiles.read_netlify_toml(path)
    if fmt == "vercel":
        return hostfiles.read_vercel(path)
    if fmt == "cloudflare-bulk":
        return hostfiles.read_bulk_csv(path)
    if fmt == "nginx":
        return nginxconf.read_nginx(path)
    if fmt == "apache":
        return apacheconf.read_apache(path)
    if fmt == "amplify":
        return formats.read_amplify_rules(path)
    return formats.read_redirects(path, fmt)
