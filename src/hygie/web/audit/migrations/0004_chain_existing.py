"""Chain the events recorded before the hash chain, in the order they happened (at, id)."""

from typing import Any

from django.db import migrations

from hygie.web.audit.chain import GENESIS, Entry, canonical_ip, canonical_time

BATCH = 1_000


def chain(apps: Any, schema_editor: Any) -> None:
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditHead")
    db = schema_editor.connection.alias
    rows = (event_model.objects.using(db).select_related("actor").order_by("at", "id")
            .iterator(chunk_size=BATCH))
    seq, prev, batch = 0, GENESIS, []
    for event in rows:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.actor_name = event.actor.username if event.actor_id else ""
        event.hash = prev = Entry(
            seq=seq, at=canonical_time(event.at), actor_id=event.actor_id, actor=event.actor_name,
            action=event.action, target_type=event.target_type, target_id=event.target_id,
            target_repr=event.target_repr, detail=event.detail,
            ip=canonical_ip(str(event.ip)) if event.ip else None,
            prev_hash=event.prev_hash).computed_hash()
        batch.append(event)
        if len(batch) == BATCH:
            event_model.objects.using(db).bulk_update(
                batch, ["seq", "prev_hash", "actor_name", "hash"])
            batch = []
    event_model.objects.using(db).bulk_update(batch, ["seq", "prev_hash", "actor_name", "hash"])
    head_model.objects.using(db).create(id=1, seq=seq, hash=prev)


def unchain(apps: Any, schema_editor: Any) -> None:
    apps.get_model("audit", "AuditHead").objects.using(schema_editor.connection.alias).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_chain_fields"),
    ]

    operations = [
        migrations.RunPython(chain, unchain),
    ]
