"""The index rows' foreign keys lose their database constraint (derived data: the deferred checks
doubled the time of a 400,000-row load on PostgreSQL), and browsing gets an index on kind and name.

On SQLite, altering the keys rebuilds the table, which drops its triggers: they are created again
(the same as in 0002), and the FTS5 index, which refers to rows by id, stays valid."""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON search_document
        WHEN NOT EXISTS (SELECT 1 FROM search_fts_pause) BEGIN
        INSERT INTO search_fts(rowid, name, title, body)
        VALUES (new.id, new.name, new.title, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON search_document
        WHEN NOT EXISTS (SELECT 1 FROM search_fts_pause) BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, title, body)
        VALUES ('delete', old.id, old.name, old.title, old.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE ON search_document
        WHEN NOT EXISTS (SELECT 1 FROM search_fts_pause) BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, title, body)
        VALUES ('delete', old.id, old.name, old.title, old.body);
        INSERT INTO search_fts(rowid, name, title, body)
        VALUES (new.id, new.name, new.title, new.body);
    END""",
]


def recreate_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0001_initial'),
        ('search', '0002_fulltext'),
    ]

    operations = [
        migrations.AlterField(
            model_name='document',
            name='dataset',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalogue.dataset'),
        ),
        migrations.AlterField(
            model_name='document',
            name='nomenclature',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalogue.nomenclature'),
        ),
        migrations.AlterField(
            model_name='document',
            name='table',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalogue.table'),
        ),
        migrations.AlterField(
            model_name='document',
            name='version',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalogue.datasetversion'),
        ),
        migrations.AddIndex(
            model_name='document',
            index=models.Index(fields=['kind', 'name'], name='search_doc_kind_name'),
        ),
        migrations.RunPython(recreate_triggers, migrations.RunPython.noop),
    ]
