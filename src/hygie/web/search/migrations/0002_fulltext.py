"""The full-text part of the search index, one way per database.

SQLite: an FTS5 table over search_document (external content: the text is stored once), accents
and case folded by the `unicode61 remove_diacritics 2` tokenizer, kept in step by triggers, so
that rows deleted by a cascade (a version or a code list deleted) leave the index too.

PostgreSQL: a French configuration that drops accents before stemming (`unaccent`, a trusted
extension: the database owner may create it), a stored tsvector column computed by the database
(identifier weighs A, label B, other text C) and a GIN index on it. A later migration that alters
name, title or body must drop and re-add the column.
"""

from django.db import migrations

SQLITE_UP = [
    # A row here switches the triggers off (a full rebuild then runs FTS5's own 'rebuild').
    "CREATE TABLE search_fts_pause (id integer PRIMARY KEY)",
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        name, title, body, content='search_document', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_document_ai AFTER INSERT ON search_document
        WHEN NOT EXISTS (SELECT 1 FROM search_fts_pause) BEGIN
        INSERT INTO search_fts(rowid, name, title, body)
        VALUES (new.id, new.name, new.title, new.body);
    END""",
    """CREATE TRIGGER search_document_ad AFTER DELETE ON search_document
        WHEN NOT EXISTS (SELECT 1 FROM search_fts_pause) BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, title, body)
        VALUES ('delete', old.id, old.name, old.title, old.body);
    END""",
    """CREATE TRIGGER search_document_au AFTER UPDATE ON search_document
        WHEN NOT EXISTS (SELECT 1 FROM search_fts_pause) BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, title, body)
        VALUES ('delete', old.id, old.name, old.title, old.body);
        INSERT INTO search_fts(rowid, name, title, body)
        VALUES (new.id, new.name, new.title, new.body);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_fts_pause",
]

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'hygie_fr') THEN
            CREATE TEXT SEARCH CONFIGURATION hygie_fr (COPY = french);
            ALTER TEXT SEARCH CONFIGURATION hygie_fr
                ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
                WITH unaccent, french_stem;
            ALTER TEXT SEARCH CONFIGURATION hygie_fr
                ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
        END IF;
    END $$""",
    """ALTER TABLE search_document ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('hygie_fr', name), 'A')
        || setweight(to_tsvector('hygie_fr', title), 'B')
        || setweight(to_tsvector('hygie_fr', body), 'C')) STORED""",
    "CREATE INDEX search_document_tsv ON search_document USING GIN (tsv)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS search_document_tsv",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
                             _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN})),
    ]
