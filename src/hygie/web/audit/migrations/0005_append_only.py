"""Numbers required and unique, and the triggers that keep the trail append-only
(`audit/triggers.py` says what each refuses)."""

from typing import Any

from django.db import migrations, models

REFUSE = "SELECT RAISE(ABORT, 'audit trail: {}')"

SQLITE = [
    f"""CREATE TRIGGER audit_event_insert BEFORE INSERT ON audit_auditevent
    WHEN NEW.seq IS NOT (SELECT seq FROM audit_audithead WHERE id = 1)
      OR NEW.prev_hash IS NOT (SELECT hash FROM audit_audithead WHERE id = 1)
    BEGIN {REFUSE.format("an event takes the number after the head (record())")}; END""",
    f"""CREATE TRIGGER audit_event_update BEFORE UPDATE ON audit_auditevent
    BEGIN {REFUSE.format("events are never changed")}; END""",
    f"""CREATE TRIGGER audit_event_delete BEFORE DELETE ON audit_auditevent
    WHEN OLD.seq > (SELECT COALESCE(MAX(upto_seq), 0) FROM audit_auditcheckpoint)
    BEGIN {REFUSE.format("events are deleted only by pruning, under a checkpoint")}; END""",
    f"""CREATE TRIGGER audit_checkpoint_insert BEFORE INSERT ON audit_auditcheckpoint
    WHEN NEW.hash IS NOT (SELECT hash FROM audit_auditevent WHERE seq = NEW.upto_seq)
    BEGIN {REFUSE.format("a checkpoint names an entry and its hash")}; END""",
    f"""CREATE TRIGGER audit_checkpoint_update BEFORE UPDATE ON audit_auditcheckpoint
    BEGIN {REFUSE.format("checkpoints are never changed")}; END""",
    f"""CREATE TRIGGER audit_checkpoint_delete BEFORE DELETE ON audit_auditcheckpoint
    BEGIN {REFUSE.format("checkpoints are never deleted")}; END""",
    f"""CREATE TRIGGER audit_head_update BEFORE UPDATE ON audit_audithead
    WHEN NEW.seq < OLD.seq
    BEGIN {REFUSE.format("the head never goes back")}; END""",
    f"""CREATE TRIGGER audit_head_delete BEFORE DELETE ON audit_audithead
    BEGIN {REFUSE.format("the head is never deleted")}; END""",
]


def _plpgsql(name: str, body: str) -> str:
    return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$")


RAISE = "RAISE EXCEPTION 'audit trail: %', {} USING ERRCODE = 'restrict_violation';"

POSTGRESQL = [
    _plpgsql("audit_refuse", RAISE.format("TG_ARGV[0]")),
    _plpgsql("audit_event_insert_check", """
        IF NOT EXISTS (SELECT 1 FROM audit_audithead
                       WHERE id = 1 AND seq = NEW.seq AND hash = NEW.prev_hash) THEN
          """ + RAISE.format("'an event takes the number after the head (record())'") + """
        END IF;
        RETURN NEW;"""),
    _plpgsql("audit_event_delete_check", """
        IF OLD.seq <= (SELECT COALESCE(MAX(upto_seq), 0) FROM audit_auditcheckpoint) THEN
          RETURN OLD;
        END IF;
        """ + RAISE.format("'events are deleted only by pruning, under a checkpoint'")),
    _plpgsql("audit_checkpoint_insert_check", """
        IF NOT EXISTS (SELECT 1 FROM audit_auditevent
                       WHERE seq = NEW.upto_seq AND hash = NEW.hash) THEN
          """ + RAISE.format("'a checkpoint names an entry and its hash'") + """
        END IF;
        RETURN NEW;"""),
    _plpgsql("audit_head_update_check", """
        IF NEW.seq < OLD.seq THEN
          """ + RAISE.format("'the head never goes back'") + """
        END IF;
        RETURN NEW;"""),
    "CREATE TRIGGER audit_event_insert BEFORE INSERT ON audit_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_insert_check()",
    "CREATE TRIGGER audit_event_update BEFORE UPDATE ON audit_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse('events are never changed')",
    "CREATE TRIGGER audit_event_delete BEFORE DELETE ON audit_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_delete_check()",
    "CREATE TRIGGER audit_checkpoint_insert BEFORE INSERT ON audit_auditcheckpoint "
    "FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_insert_check()",
    "CREATE TRIGGER audit_checkpoint_update BEFORE UPDATE ON audit_auditcheckpoint "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse('checkpoints are never changed')",
    "CREATE TRIGGER audit_checkpoint_delete BEFORE DELETE ON audit_auditcheckpoint "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse('checkpoints are never deleted')",
    "CREATE TRIGGER audit_head_update BEFORE UPDATE ON audit_audithead "
    "FOR EACH ROW EXECUTE FUNCTION audit_head_update_check()",
    "CREATE TRIGGER audit_head_delete BEFORE DELETE ON audit_audithead "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse('the head is never deleted')",
]

TRIGGERS = {"audit_auditevent": ("audit_event_insert", "audit_event_update", "audit_event_delete"),
            "audit_auditcheckpoint": ("audit_checkpoint_insert", "audit_checkpoint_update",
                                      "audit_checkpoint_delete"),
            "audit_audithead": ("audit_head_update", "audit_head_delete")}
FUNCTIONS = ("audit_refuse", "audit_event_insert_check", "audit_event_delete_check",
             "audit_checkpoint_insert_check", "audit_head_update_check")


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"the audit trail's triggers exist for SQLite and PostgreSQL, not {vendor}")
    for statement in SQLITE if vendor == "sqlite" else POSTGRESQL:
        schema_editor.execute(statement, params=None)


def drop(apps: Any, schema_editor: Any) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table, names in TRIGGERS.items():
        for name in names:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}"
                                  + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for function in FUNCTIONS:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_chain_existing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent", name="seq",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="entry number")),
        migrations.RunPython(create, drop),
    ]
