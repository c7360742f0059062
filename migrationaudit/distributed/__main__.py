"""``python -P -m migrationaudit.distributed``: one worker process on one job (see child.py)."""

import sys

from migrationaudit.distributed.child import worker_main as _worker_main

sys.exit(_worker_main())
