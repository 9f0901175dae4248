"""How long the audit trail keeps its entries: HYGIE_AUDIT_RETENTION_DAYS, 400 days by default.

Never less than 365: a year of history is the least an investigation of a data breach or of a
person's complaint about who read their file needs, so a smaller value stops start-up rather
than quietly erasing evidence at the next `hygie audit prune`.
"""

from __future__ import annotations

from hygie.web.env import env_int

DEFAULT_DAYS = 400
MINIMUM_DAYS = 365


def retention_days() -> int:
    return env_int("HYGIE_AUDIT_RETENTION_DAYS", DEFAULT_DAYS, minimum=MINIMUM_DAYS)
