"""Per-project pseudonyms, computed inside the engine.

A project's pseudonym of a person is HMAC-SHA256(project key, person key), hex: the same function
as Python's `hmac`, evaluated in SQL on DuckDB or Spark, so identifiers never leave the engine.
Each distinct person key is hashed once (a materialised mapping), then joined to the rows.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlglot import exp

from hygie.engine.engines import Engine


def pseudonym(project_key: bytes, person_key: str) -> str:
    """The reference implementation, for tests and for checking a sample."""
    return hmac.new(project_key, person_key.encode("utf-8"), hashlib.sha256).hexdigest()


def build_mapping(engine: Engine, name: str, persons: exp.Query, project_key: bytes) -> None:
    """Materialise `name`(PERSON_KEY, PSEUDO_ID) for the distinct PERSON_KEY of `persons`."""
    ids = exp.select("PERSON_KEY").distinct().from_(persons.subquery("p"))
    query = exp.select(
        exp.column("PERSON_KEY"),
        exp.alias_(engine.hmac_sha256(project_key, exp.column("PERSON_KEY")), "PSEUDO_ID"),
    ).from_(ids.subquery("ids"))
    engine.materialize(name, query)


def opposed_filter(engine: Engine, persons: exp.Query, opposition_key: bytes,
                   register_view: str) -> exp.Select:
    """`persons` without the people whose keyed hash is in the opposition register."""
    hashed = engine.hmac_sha256(opposition_key, exp.column("PERSON_KEY", table="p"))
    cond = exp.select(exp.Literal.number(1)).from_(exp.to_table(register_view).as_("r")).where(
        exp.EQ(this=exp.column("OPPOSITION_HASH", table="r"), expression=hashed))
    return exp.select("p.*").from_(persons.subquery("p")).where(
        exp.Not(this=exp.Exists(this=cond)))
