"""``python -m migrationaudit.demo SITE.json``: serve a scenario site until Ctrl-C."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import load_site
from migrationaudit.errors import InputError


def main(argv: list[str] | None = None) -> int:
    """``python -m migrationaudit.demo site.json``: serve until Ctrl-C."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m migrationaudit.demo SITE.json", file=sys.stderr)
        return 2
    try:
        site = load_site(Path(args[0]))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with ScenarioServer(site) as server:
        print(f"HTTP  on 127.0.0.1:{server.http_port}", flush=True)
        print(f"HTTPS on 127.0.0.1:{server.https_port}", flush=True)
        print("connect-to entries:", flush=True)
        for entry in server.connect_to():
            print(f"  {entry}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


sys.exit(main())
