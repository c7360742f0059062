"""A real Apache httpd on 127.0.0.1 for the tests (Debian's apache2, installed by
scripts/install-system-deps.sh): one process (``-X``), everything under ``prefix``, the
site's configuration included from ``site.conf`` and its files under ``prefix/htdocs``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.nginxserver import free_port

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
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [APACHE, "-X", "-f", str(prefix / "httpd.conf")],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"},
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            try:
                yield port, htdocs
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            return
        proc.wait(timeout=10)
        message = log.read_text(errors="replace")
        error_log = prefix / "error.log"
        if error_log.exists():
            message += error_log.read_text(errors="replace")
        if "Address already in use" not in message:
            pytest.fail(f"apache did not start: {message}")
    pytest.fail("apache found no free port")
