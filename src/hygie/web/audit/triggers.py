"""The database triggers that keep the audit trail append-only (created by migration 0005).

Events: an insert must take the number after the head and link to its hash (what record()
does); updates are refused; a delete is refused unless a checkpoint covers the entry (pruning
writes its checkpoint first, in the same transaction). Checkpoints: an insert must name an
existing entry and its hash; never changed nor deleted. Head: its number never goes back, the
row is never deleted.

They stop the application's own mistakes and anyone with plain SQL access to the tables; a
database owner can drop them (and SQLite drops them whenever Django rebuilds the table for an
AlterField: re-create them in that migration). The hash chain, checked against a head kept
outside the platform, is what detects that.
"""

from __future__ import annotations

from typing import Any

NAMES = frozenset({"audit_event_insert", "audit_event_update", "audit_event_delete",
                   "audit_checkpoint_insert", "audit_checkpoint_update",
                   "audit_checkpoint_delete", "audit_head_update", "audit_head_delete"})
TABLES = ("audit_auditevent", "audit_auditcheckpoint", "audit_audithead")


def active(connection: Any) -> set[str]:
    """The names of the audit triggers present and enabled on `connection`'s database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                           "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' "
                           "AND c.relname = ANY(%s) AND pg_table_is_visible(c.oid)",
                           [list(TABLES)])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                           f"({', '.join('%s' for _ in TABLES)})", list(TABLES))
        return {name for (name,) in cursor.fetchall()} & NAMES


def missing(connection: Any) -> list[str]:
    return sorted(NAMES - active(connection))
