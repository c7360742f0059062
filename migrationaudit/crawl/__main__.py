"""``python -m migrationaudit.crawl RUN_DIR [--resume] [--secrets-stdin]``: a crawl child."""

import sys
from pathlib import Path

from migrationaudit.crawl.child import child_main as _child_main

flags = set(sys.argv[2:])
if len(sys.argv) < 2 or not flags <= {"--resume", "--secrets-stdin"}:
    print(
        "usage: python -m migrationaudit.crawl RUN_DIR [--resume] [--secrets-stdin]",
        file=sys.stderr,
    )
    sys.exit(2)
sys.exit(
    _child_main(
        Path(sys.argv[1]),
        resume="--resume" in flags,
        secrets_stdin="--secrets-stdin" in flags,
    )
)
