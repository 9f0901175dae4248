"""SQL turning SNDS text values into their lake types, shared by the validator and the ingest.

Values never enter SQL text: the expressions name a column (quoted) and use this module's
constants and the schemas' formats only.
"""

from __future__ import annotations

from hygie.snds.schemas import Field

# Dates as the SNDS writes them (SAS datetime, SAS date) and as CSV exports do (ISO).
DATE_FORMATS = ("%d%b%Y:%H:%M:%S", "%d%b%Y", "%Y-%m-%d")
DATETIME_FORMATS = ("%d%b%Y:%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                    "%Y-%m-%d %H:%M:%S.%f", "%d%b%Y", "%Y-%m-%d")
_NUMBER = "[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?"
# An integer may carry a zero fraction ("12.0"): SAS and float-typed exports write them so.
_INTEGER = "[+-]?[0-9]+([.,]0*)?"

EXPECTED = {"integer": "an integer", "number": "a number", "boolean": "0, 1, true or false",
            "date": "a date (01JAN2019:00:00:00, 01JAN2019 or 2019-01-01)",
            "datetime": "a datetime (01JAN2019:10:30:00 or 2019-01-01 10:30:00)",
            "month": "a month (01..12)", "year": "a year (YYYY)",
            "yearmonth": "a year and month (YYYYMM or YYYY-MM)"}


def q(ident: str) -> str:
    """A quoted SQL identifier."""
    return '"' + ident.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal, for this package's constants and schema formats only."""
    return "'" + text.replace("'", "''") + "'"


def expected(f: Field) -> str:
    return EXPECTED["month" if f.format == "%m" else f.type] if f.type != "string" else "text"


def parse_sql(f: Field, col: str, date_formats: tuple[str, ...] = ()) -> str:
    """SQL turning the text of `col` into the field's lake type; NULL if it does not parse.
    `date_formats` (a file's detected format first) are tried before the usual ones."""
    v = f"NULLIF(trim({q(col)}), '')"
    if f.type == "integer":
        return (f"CASE WHEN regexp_full_match({v}, {lit(_INTEGER)}) "
                f"THEN TRY_CAST(regexp_replace({v}, '[.,]0*$', '') AS BIGINT) END")
    if f.type == "number":
        return (f"CASE WHEN regexp_full_match({v}, {lit(_NUMBER)}) "
                f"THEN TRY_CAST(replace({v}, ',', '.') AS DOUBLE) END")
    if f.type == "boolean":
        return (f"CASE lower({v}) WHEN '1' THEN TRUE WHEN 'true' THEN TRUE "
                "WHEN '0' THEN FALSE WHEN 'false' THEN FALSE END")
    if f.type == "date" and f.format == "%m":
        return f"CASE WHEN regexp_full_match({v}, '0[1-9]|1[0-2]') THEN {v} END"
    if f.type in ("date", "datetime"):
        usual = DATE_FORMATS if f.type == "date" else DATETIME_FORMATS
        own = (f.format,) if f.format not in ("default", "any") else ()
        formats = list(dict.fromkeys((*date_formats, *own, *usual)))
        sql_type = "DATE" if f.type == "date" else "TIMESTAMP"
        return f"CAST(try_strptime({v}, [{', '.join(map(lit, formats))}]) AS {sql_type})"
    if f.type == "year":
        return (f"CASE WHEN regexp_full_match({v}, '[0-9]{{4}}([.,]0*)?') "
                f"THEN CAST(left({v}, 4) AS INTEGER) END")
    if f.type == "yearmonth":
        return (f"CASE WHEN regexp_full_match({v}, '[0-9]{{4}}-?(0[1-9]|1[0-2])') "
                f"THEN replace({v}, '-', '') END")
    return q(col)


def failed_sql(f: Field, col: str, date_formats: tuple[str, ...] = ()) -> str:
    """SQL true when `col` holds text that does not parse as the field's type."""
    return f"(NULLIF(trim({q(col)}), '') IS NOT NULL AND {parse_sql(f, col, date_formats)} IS NULL)"
