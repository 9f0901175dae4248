"""The packaged SNDS schemas and nomenclatures."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from hygie.snds.nomenclatures import nomenclature, nomenclatures, normalise_code
from hygie.snds.schemas import arrow_type, load_schemas


def test_all_188_tables_load_with_their_keys():
    schemas = load_schemas()
    assert len(schemas) == 188
    assert sum(len(t.fields) for t in schemas.tables.values()) == 4815
    prs = schemas.table("ER_PRS_F")
    assert len(prs.primary_key) == 9 and "PRS_NAT_REF" in prs.field_names
    assert prs.field("PRS_NAT_REF").nomenclature == "IR_NAT_V"
    ben = schemas.table("IR_BEN_R")
    assert ben.primary_key == ("BEN_NIR_PSA", "BEN_RNG_GEM")
    assert ben.field("BEN_RNG_GEM").nomenclature_column == "BEN_RNG_GEM"


def test_yearly_pmsi_names_resolve_with_their_foreign_keys():
    c = load_schemas().table("T_MCO21C")
    assert c.name == "T_MCO21C"
    assert {fk.table for fk in c.foreign_keys} == {"T_MCO21B", "IR_BEN_R"}
    assert "T_MCO21C" in load_schemas() and "T_XYZ21C" not in load_schemas()
    with pytest.raises(KeyError, match="unknown SNDS table"):
        load_schemas().table("NOPE")


def test_physical_types():
    assert arrow_type("date") == pa.date32() and arrow_type("date", "%m") == pa.string()
    assert arrow_type("yearmonth") == pa.string() and arrow_type("year") == pa.int32()
    amount = load_schemas().table("ER_PRS_F").field("BSE_REM_MNT")
    assert amount.type == "number" and amount.arrow_type == pa.float64()


def test_nomenclatures_and_missing_code_lists():
    assert len(nomenclatures()) == 505
    assert nomenclature("IR_SEX_V").codes() == frozenset({"0", "1", "2", "9"})
    assert "E119" in nomenclature("MS_CIM_V").codes()
    assert not nomenclature("IR_PHA_R").available  # the drug referential is not in the copy
    assert normalise_code(1.0) == "1" and normalise_code(" E11 ") == "E11"
    with pytest.raises(KeyError):
        nomenclature("NOPE")


def test_deviations_are_applied_and_listed_in_one_place():
    from hygie.snds.schemas import DEVIATIONS

    assert {(d.table, d.field, d.type) for d in DEVIATIONS} == {
        ("T_MCOaaB", "ETA_NUM", "string"), ("T_MCOaaC", "ETA_NUM", "string")}
    assert all(d.reason for d in DEVIATIONS)
    for name in ("T_MCOaaB", "T_MCO21C", "T_MCOaaE", "T_MCOaaD"):  # one type for the stay key
        eta = load_schemas().table(name).field("ETA_NUM")
        assert eta.type == "string" and eta.arrow_type == pa.string()


def test_schema_texts_are_read_without_control_characters():
    """The packaged files hold Windows-1252 punctuation read as Latin-1 (PROVENANCE.md); the
    loaded texts have the characters meant."""
    import re

    from hygie.snds.schemas import DATA_ROOT, load_schemas

    c1 = re.compile("[\x80-\x9f]")
    raw = [p for p in Path(str(DATA_ROOT / "schemas")).rglob("*.json")
           if c1.search(p.read_text(encoding="utf-8"))]
    assert len(raw) == 21  # not vacuous: the files still hold them
    for schema in load_schemas().tables.values():
        assert not c1.search(schema.title), schema.name
        assert not any(c1.search(f.description) for f in schema.fields), schema.name
    assert "l’ensemble" in load_schemas().table("KI_ECD_R").title
