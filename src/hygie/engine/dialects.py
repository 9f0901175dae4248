"""SQL dialects: how the core's SQL is written for each engine, without running anything.

The core writes SQL once, in DuckDB's dialect, as SQLGlot expressions. A dialect renders it for
its engine and supplies what SQLGlot cannot translate (HMAC-SHA256 from hex digests and bound
pads, a record key from hex). It holds no connection and no session: Spark SQL can be rendered
and tested without starting Spark. Execution (connections, sessions, temporary tables) is the
engines' job (`hygie.engine.engines`), each engine holding its dialect.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp

X = exp.Expression


class DialectError(ValueError):
    """No such dialect; the message lists the known ones."""


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A function call rendered as written, for the per-dialect pieces SQLGlot must not touch."""
    return exp.Anonymous(this=name, expressions=list(args))


class Dialect:
    name: ClassVar[str]  # also SQLGlot's name for it
    placeholder: ClassVar[str]  # the prefix of a named parameter in rendered text ($name, :name)

    def render(self, query: exp.Expr, *, pretty: bool = False) -> str:
        return query.sql(dialect=self.name, pretty=pretty)

    def hmac_sha256(self, ipad: X, opad: X, value: X) -> X:
        """HMAC-SHA256 of a text expression as lower-case hex, from the key's pads (bound
        parameters: key material never appears in SQL text)."""
        raise NotImplementedError

    def record_key(self, hmac_hex: exp.Expression, digits: int) -> exp.Expression:
        """The integer value of the first `digits` hex digits of a digest."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.name} dialect>"


class DuckDB(Dialect):
    name = "duckdb"
    placeholder = "$"

    def hmac_sha256(self, ipad: X, opad: X, value: X) -> X:
        inner = _fn("sha256", exp.DPipe(this=ipad, expression=_fn("encode", value)))
        return _fn("sha256", exp.DPipe(this=opad, expression=_fn("unhex", inner)))

    def record_key(self, hmac_hex: exp.Expression, digits: int) -> exp.Expression:
        head = exp.Substring(this=hmac_hex, start=exp.Literal.number(1),
                             length=exp.Literal.number(digits))
        return exp.cast(exp.DPipe(this=exp.Literal.string("0x"), expression=head), "BIGINT")


class Spark(Dialect):
    name = "spark"
    placeholder = ":"

    def hmac_sha256(self, ipad: X, opad: X, value: X) -> X:
        utf8 = _fn("encode", value, exp.Literal.string("UTF-8"))
        inner = _fn("sha2", _fn("concat", ipad, utf8), exp.Literal.number(256))
        return _fn("sha2", _fn("concat", opad, _fn("unhex", inner)), exp.Literal.number(256))

    def record_key(self, hmac_hex: exp.Expression, digits: int) -> exp.Expression:
        head = exp.Substring(this=hmac_hex, start=exp.Literal.number(1),
                             length=exp.Literal.number(digits))
        return exp.cast(_fn("conv", head, exp.Literal.number(16), exp.Literal.number(10)),
                        "BIGINT")


DIALECTS: dict[str, Dialect] = {d.name: d for d in (DuckDB(), Spark())}


def dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise DialectError(f"unknown engine {name!r}; choose one of {', '.join(DIALECTS)}") from None
