"""A real Apache httpd on 127.0.0.1 for the tests (Debian's apache2, installed by
scripts/install-system-deps.sh): one process (``-X``), everything under ``prefix``, the
site's configuration included from ``site.conf`` and its files under ``prefix/htdocs``."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.nginxserver import free_port, start_server, stop_server

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")


@contextmanager
def running_apache(site_conf: str) -> Iterator[tuple[int, Path]]:
    """Apache serving ``site_conf`` (with ``{port}`` and ``{htdocs}`` filled in) on a free
    loopback port, ``AllowOverride All`` on its document root (so .htaccess files apply);
    yields the port and the document root, stops it (by PID) and removes its folder on exit.
    The folder is a fresh one under the system's temp folder: Apache started as root serves
    as www-data, which must be able to read it. A port taken between choosing and binding is
    tried again, up to three times; Apache missing skips the test."""
    if not Path(APACHE).exists():
        pytest.skip("apache2 is not installed (scripts/install-system-deps.sh installs it)")
    prefix = Path(tempfile.mkdtemp(prefix="migrationaudit-apache-"))
    try:
        yield from _serve(prefix, site_conf)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def _serve(prefix: Path, site_conf: str) -> Iterator[tuple[int, Path]]:
    prefix.chmod(0o755)
    htdocs = prefix / "htdocs"
    htdocs.mkdir()
    user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
    for _attempt in range(3):
        port = free_port()
        (prefix / "site.conf").write_text(
            site_conf.replace("{port}", str(port)).replace("{htdocs}", str(htdocs)),
            encoding="utf-8",
        )
        modules = "".join(
            f"LoadModule {m}_module {MODULES}/mod_{m}.so\n"
            for m in ("mpm_event", "authz_core", "rewrite", "alias", "dir")
        )
        (prefix / "httpd.conf").write_text(
            f"""{modules}{user}ServerRoot {prefix}
Listen 127.0.0.1:{port}
PidFile {prefix}/httpd.pid
ErrorLog {prefix}/error.log
DefaultRuntimeDir {prefix}
Mutex file:{prefix} default
ServerName localhost
DocumentRoot {htdocs}
<Directory {htdocs}>
    AllowOverride All
    Require all granted
</Directory>
Include {prefix}/site.conf
""",
            encoding="utf-8",
        )
        log = prefix / "stderr.log"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"}
        proc = start_server([APACHE, "-X", "-f", str(prefix / "httpd.conf")], port, log, 10, env)
        if proc is not None:
            try:
                yield port, htdocs
            finally:
                stop_server(proc)
            return
        message = log.read_text(errors="replace")
        error_log = prefix / "error.log"
        if error_log.exists():
            message += error_log.read_text(errors="replace")
        if "Address already in use" not in message:
            pytest.fail(f"apache did not start: {message}")
    pytest.fail("apache found no free port")
