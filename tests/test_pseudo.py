"""Pseudonymisation: keys from one secret, HMAC in the engines equal to Python's, oppositions."""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from hygie.engine.engines import DuckDBEngine
from hygie.pseudo.keys import Secret, SecretError, hkdf_sha256, load_secret
from hygie.pseudo.oppositions import OppositionRegister, opposition_hash
from hygie.pseudo.pseudonyms import build_mapping, pseudonym

SECRET = Secret(bytes(range(32)))


def test_hkdf_matches_rfc5869_test_case_1():
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = hkdf_sha256(ikm, info, 42, salt=salt)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865")


def test_secret_comes_from_the_environment_or_a_file_and_is_never_shown(tmp_path):
    hexed = "ab" * 32
    s = load_secret({"HYGIE_PSEUDO_SECRET": hexed})
    assert s.value == bytes.fromhex(hexed)
    assert hexed not in repr(s) and hexed not in str(s)
    f = tmp_path / "secret"
    f.write_text(hexed + "\n")
    assert load_secret({"HYGIE_PSEUDO_SECRET_FILE": str(f)}).value == s.value
    with pytest.raises(SecretError, match="no pseudonymisation secret"):
        load_secret({})
    with pytest.raises(SecretError, match="at least 32"):
        load_secret({"HYGIE_PSEUDO_SECRET": "ab" * 8})
    with pytest.raises(SecretError, match="hexadecimal"):
        load_secret({"HYGIE_PSEUDO_SECRET": "zz" * 32})
    with pytest.raises(SecretError) as err:
        load_secret({"HYGIE_PSEUDO_SECRET_FILE": str(tmp_path / "missing")})
    assert hexed not in str(err.value)


def test_project_keys_differ_and_do_not_reveal_the_master():
    a, b = SECRET.project_key("2024-0042"), SECRET.project_key("2024-0043")
    assert a != b and SECRET.value not in (a, b) and len(a) == 32
    assert SECRET.opposition_key() not in (a, b)
    with pytest.raises(SecretError):
        SECRET.project_key(" ")


def _engine_hmac(engine, key: bytes, values: list[str]) -> list[str]:
    engine.register_arrow("V", pa.table({"x": pa.array(values, pa.string())}))
    q = exp.select(exp.column("x"), exp.alias_(engine.hmac_sha256(key, exp.column("x")), "h")) \
        .from_("V").order_by("x")
    return engine.arrow(q).column("h").to_pylist()


@pytest.mark.parametrize("value", ["", "A", "0123456789ABCDEFG", "é-ü", "x" * 200, "quo'te"])
def test_engine_hmac_equals_python_hmac_on_both_engines(engine, value):
    key = SECRET.project_key("p")
    assert _engine_hmac(engine, key, [value]) == [
        hmac.new(key, value.encode(), hashlib.sha256).hexdigest()]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=30, unique=True),
       st.text(min_size=1, max_size=20).filter(str.strip))
def test_pseudonyms_are_python_hmac_and_differ_between_projects(values, project):
    duck = DuckDBEngine()
    try:
        k1, k2 = SECRET.project_key(project), SECRET.project_key(project + "-other")
        got = _engine_hmac(duck, k1, values)
        assert got == [pseudonym(k1, v) for v in sorted(values)]
        other = _engine_hmac(duck, k2, values)
        assert all(a != b for a, b in zip(got, other, strict=True))
    finally:
        duck.close()


def test_mapping_hashes_each_distinct_person_once(engine):
    engine.register_arrow("ROWS", pa.table({"PERSON_KEY": ["a", "b", "a", "c", "b"]}))
    build_mapping(engine, "MAP", exp.select("PERSON_KEY").from_("ROWS"), SECRET.project_key("p"))
    rows = engine.arrow("SELECT PERSON_KEY, PSEUDO_ID FROM MAP ORDER BY PERSON_KEY").to_pylist()
    assert [r["PERSON_KEY"] for r in rows] == ["a", "b", "c"]
    assert all(r["PSEUDO_ID"] == pseudonym(SECRET.project_key("p"), r["PERSON_KEY"]) for r in rows)
    engine.drop("MAP")


def test_opposition_register_keeps_keyed_hashes_only(tmp_path):
    reg = OppositionRegister(tmp_path / "oppositions.parquet")
    assert len(reg) == 0
    assert reg.register(SECRET, ["PERSON-1", "PERSON-2"]) == 2
    assert reg.register(SECRET, ["PERSON-2"]) == 0  # objecting twice changes nothing
    raw = (tmp_path / "oppositions.parquet").read_bytes()
    assert b"PERSON-1" not in raw and b"PERSON-2" not in raw
    hashes = set(reg.table().column("OPPOSITION_HASH").to_pylist())
    assert hashes == {opposition_hash(SECRET, "PERSON-1"), opposition_hash(SECRET, "PERSON-2")}
    # A plain hash of the identifier is not what is stored: the key matters.
    assert hashlib.sha256(b"PERSON-1").hexdigest() not in hashes
    assert [p.name for p in tmp_path.iterdir()] == ["oppositions.parquet"]


def test_key_material_never_appears_in_sql_text(engine):
    from hygie.engine.engines import hmac_pads

    key = SECRET.project_key("p")
    text = engine.render(exp.select(engine.hmac_sha256(key, exp.column("x"))).from_("V")).lower()
    for material in (key, *hmac_pads(key), SECRET.value):
        assert material.hex() not in text
