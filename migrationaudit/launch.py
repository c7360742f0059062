"""The launch date (``--launched``) as run metadata: the day, and the day until which the
redirects must stay. Pure date arithmetic, no imports from the stages (the pipeline uses it)."""

from __future__ import annotations

from datetime import date, datetime


def keep_until(launched: date) -> date:
    """A year after launch: how long Google's site-move guidance asks redirects to stay."""
    try:
        return launched.replace(year=launched.year + 1)
    except ValueError:  # 29 February
        return launched.replace(year=launched.year + 1, day=28)


def launch_info(launched: datetime) -> dict[str, str]:
    """``run.launched``: the launch date (``--launched``) and the date until which the
    redirects must stay."""
    day = launched.date()
    return {"date": day.isoformat(), "keep_redirects_until": keep_until(day).isoformat()}
