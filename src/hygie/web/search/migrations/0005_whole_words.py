"""PostgreSQL: the words of each row as written (accents and case folded, not stemmed), to tell
which hits hold every searched term as a whole word (the second ranking rule, `query._match`).

The `tsv` column holds French stems, which join different words ("insuffisant" and
"insuffisance" are both `insuffis`, "diabétique" and "diabète" both `diabet`, "décès" and the
`DEC` of PHA_DEC_TOP both `dec`): a whole-word test on stems finds whole words that are not
there. SQLite's FTS5 index holds the words themselves, so it needs nothing here.

The column is only read for rows the `tsv` index already found, so it has no index of its own.
"""

from django.db import migrations

POSTGRES_UP = [
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'hygie_words') THEN
            CREATE TEXT SEARCH CONFIGURATION hygie_words (COPY = simple);
            ALTER TEXT SEARCH CONFIGURATION hygie_words
                ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part,
                    numword, numhword, hword_numpart
                WITH unaccent, simple;
        END IF;
    END $$""",
    """ALTER TABLE search_document ADD COLUMN words tsvector GENERATED ALWAYS AS (
        to_tsvector('hygie_words', name || ' ' || title || ' ' || body)) STORED""",
]
POSTGRES_DOWN = [
    "ALTER TABLE search_document DROP COLUMN IF EXISTS words",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS hygie_words",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [("search", "0004_plural_names")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN))]
