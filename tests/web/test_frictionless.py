"""Frictionless Table Schemas and Data Packages as catalogue descriptions (hygie.catalogue.frictionless):
what is read, every problem reported with its place, nothing imported from a failing import."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hygie.catalogue.frictionless import parse_descriptor, read_upload
from hygie.catalogue.snds import snds_spec
from hygie.catalogue.spec import NomenclatureSpec, SpecError
from hygie.snds.nomenclatures import nomenclatures
from hygie.snds.schemas import DATA_ROOT

SCHEMAS = Path(str(DATA_ROOT / "schemas"))
DEMO = Path(__file__).resolve().parents[2] / "src" / "hygie" / "data" / "catalogue"


def schema(**extra):
    return {"name": "VISITS", "title": "Visites", "fields": [
        {"name": "id", "type": "string", "constraints": {"required": True, "maxLength": 12},
         "description": "Identifiant"},
        {"name": "amount", "type": "number", "length": "10,2", "title": "Montant",
         "description": "en euros"},
        {"name": "day", "type": "date", "format": "%Y%m%d", "dateCreated": "2015-01-01"},
        {"name": "parent", "type": "string", "nomenclature": "-"},
        {"name": "sex", "type": "string", "nomenclature": "IR_SEX_V:SEX_COD"},
    ], "primaryKey": "id",
        "foreignKeys": [{"fields": "parent", "reference": {"resource": "", "fields": "id"}}],
        **extra}


def package(**extra):
    return {"name": "demo", "version": "2.1", "temporal": {"start": 2019, "end": "2023-12-31"},
            "resources": [
                {"name": "persons", "path": "persons.csv", "title": "Personnes",
                 "title_en": "People", "description": "Une ligne par personne",
                 "product": "Base",
                 "schema": {"fields": [{"name": "pid", "type": "string"},
                                       {"name": "sex", "type": "string", "nomenclature": "sex"}],
                            "primaryKey": ["pid"]}},
                {"name": "stays", "path": "stays.csv",
                 "schema": {"fields": [{"name": "pid", "type": "string"},
                                       {"name": "n", "type": "integer"}],
                            "primaryKey": ["pid", "n"],
                            "foreignKeys": [{"fields": ["pid"], "reference": {
                                "resource": "persons", "fields": ["pid"]}}]}},
                {"name": "sex", "title": "Sexe", "nomenclature": {"code": "code", "label": "label"},
                 "data": [["code", "label"], ["1", "Homme"], ["2", "Femme"]]},
            ], **extra}


def problems(data, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        parse_descriptor(data if isinstance(data, bytes | str) else json.dumps(data), **kwargs)
    return caught.value.problems


def has(found: list[tuple[str, str]], where: str, what: str) -> bool:
    return any(w == where and what in m for w, m in found)


# --- what is read ---------------------------------------------------------------------------------


def test_a_table_schema_is_read_field_by_field():
    spec = parse_descriptor(json.dumps(schema()), known_nomenclatures={"IR_SEX_V"})
    (table,) = spec.tables
    assert (table.name, table.title_fr, table.primary_key) == ("VISITS", "Visites", ("id",))
    ident, amount, day, parent, sex = table.variables
    assert (ident.type, ident.length, ident.required, ident.description_fr) == (
        "string", 12, True, "Identifiant")
    assert (amount.length, amount.scale, amount.description_fr) == (10, 2, "Montant — en euros")
    assert (day.type, day.format, day.date_created) == ("date", "%Y%m%d", "2015-01-01")
    assert parent.nomenclature is None
    assert (sex.nomenclature, sex.nomenclature_column) == ("IR_SEX_V", "SEX_COD")
    # An empty reference is the table itself.
    assert table.relations[0].ref_table == "VISITS"


def test_a_schema_without_name_takes_the_callers():
    raw = schema()
    del raw["name"]
    spec = parse_descriptor(json.dumps(raw), name="visits_2024", known_nomenclatures={"IR_SEX_V"})
    assert spec.tables[0].name == "visits_2024"
    assert spec.tables[0].relations[0].ref_table == "visits_2024"


def test_english_descriptions_go_to_the_english_fields():
    spec = parse_descriptor(json.dumps(schema()), language="en", known_nomenclatures={"IR_SEX_V"})
    ident = spec.tables[0].variables[0]
    assert (ident.description_fr, ident.description_en) == ("", "Identifiant")


def test_an_snds_schema_reads_as_the_snds_import_does():
    raw = (next(SCHEMAS.rglob("IR_BEN_R.json"))).read_bytes()
    spec = parse_descriptor(raw, known_nomenclatures=nomenclatures().keys())
    assert spec.tables[0] == snds_spec().table("IR_BEN_R")


@pytest.mark.slow
def test_every_packaged_snds_schema_passes_frictionless():
    known = nomenclatures().keys()
    for path in sorted(SCHEMAS.rglob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw.pop("foreignKeys", None)  # they point at other tables, absent from a lone schema
        parse_descriptor(raw, known_nomenclatures=known, origin=path.name)


def test_a_data_package_gives_tables_keys_and_code_lists():
    spec = parse_descriptor(json.dumps(package()))
    assert [t.name for t in spec.tables] == ["persons", "stays"]
    persons, stays = spec.tables
    assert (persons.title_fr, persons.title_en, persons.product) == ("Personnes", "People", "Base")
    assert persons.description_fr == "Une ligne par personne"
    assert stays.relations[0].ref_table == "persons"
    (sex,) = spec.nomenclatures
    assert (sex.name, sex.code_column, sex.label_column, sex.title) == ("sex", "code", "label",
                                                                      "Sexe")
    assert list(sex.rows()) == [{"code": "1", "label": "Homme"}, {"code": "2", "label": "Femme"}]
    assert (spec.source, spec.first_year, spec.last_year) == ("demo@2.1", 2019, 2023)


def test_code_lists_as_objects_and_upper_case_table_names():
    raw = package()
    raw["resources"][2]["data"] = [{"code": "1", "label": "Homme"}, {"code": "2", "label": None}]
    raw["resources"][0]["name"] = "IR_PERSONS"  # SNDS style: upper case (Data Package v2)
    raw["resources"][1]["schema"]["foreignKeys"][0]["reference"]["resource"] = "IR_PERSONS"
    spec = parse_descriptor(json.dumps(raw))
    assert spec.tables[0].name == "IR_PERSONS"
    assert list(spec.nomenclatures[0].rows())[1] == {"code": "2", "label": ""}


@pytest.mark.parametrize("name", ["oscour.datapackage.json", "rein.datapackage.json"])
def test_the_demo_packages_are_valid(name):
    spec = parse_descriptor((DEMO / name).read_bytes(), origin=name)
    assert len(spec.tables) == 4
    used = {v.nomenclature for t in spec.tables for v in t.variables if v.nomenclature}
    assert used == {n.name for n in spec.nomenclatures}


# --- what is refused, and where -------------------------------------------------------------------


def test_malformed_json_names_line_and_column():
    found = problems(b'{\n  "fields": [\n    {"name": "a",}\n  ]\n}')
    assert found[0][0] == "line 3, column 18"  # the "}" after the comma
    assert "malformed JSON" in found[0][1]


def test_not_utf8_and_not_an_object():
    assert problems(b"\xff\xfe{}")[0] == ("file", "not UTF-8 text (byte 0)")
    assert problems("[1, 2]") == [("descriptor", "a JSON object is expected, not a list")]
    assert "neither a Table Schema" in problems({"title": "x"})[0][1]
    # Shapes that trip frictionless itself are reported, not raised.
    for field in (None, [], "x"):
        assert has(problems({"name": "T", "fields": [field]}), "T field 1",
                   "a field must be an object")


def test_hostile_json_is_a_problem_not_a_crash():
    # A number past Python's int conversion limit (4,300 digits) raised ValueError: a 500.
    huge = b'{"name": "T", "fields": [{"name": "a", "constraints": {"maxLength": ' + b"9" * 5000
    found = problems(huge + b"}}]}")
    assert found == [("file", "malformed JSON: a number has more than 4,300 digits")]
    # Nesting deep enough to reach frictionless's recursion is refused early, not echoed.
    for depth in (60, 990, 100_000):
        deep = '{"name": "T", "fields": [{"name": "a", "x": ' + "[" * depth + "]" * depth + "}]}"
        found = problems(deep)
        assert found == [("file", "nested more than 50 levels deep")], depth
    # Already-parsed descriptors are held to the same depth.
    nested: dict = {}
    for _ in range(100):
        nested = {"x": nested}
    assert problems({"name": "T", "fields": [nested]}) == [
        ("file", "nested more than 50 levels deep")]


def test_lengths_fit_the_catalogues_columns():
    # Stored in 32-bit integer columns: anything bigger failed in the database, a 500.
    for raw in ({"constraints": {"maxLength": 2**31}}, {"length": "9" * 5000},
                {"length": "99999999999"}, {"length": "1,99999999999"}, {"length": "²"},
                {"length": "1,²"}):
        found = problems({"name": "T", "fields": [{"name": "a", **raw}]})
        assert any(w == "T.a" and "length" in m.lower() for w, m in found), raw
    spec = parse_descriptor({"name": "T", "fields": [{"name": "a", "length": "2147483647,2"}]})
    assert (spec.tables[0].variables[0].length, spec.tables[0].variables[0].scale) == (
        2**31 - 1, 2)


def test_messages_quote_at_most_a_few_hundred_characters_of_the_input():
    long_name = "x" * 100_000
    found = problems({"name": "T", "fields": [{"name": "a", "type": long_name}]})
    assert found and all(len(m) < 1000 for _, m in found)
    found = problems({"name": "T", "fields": [{"name": "a", "format": {"k": long_name}}]})
    assert found and all(len(m) < 1000 for _, m in found)


def test_every_problem_is_listed_with_its_place():
    raw = schema()
    raw["fields"] += [
        {"name": "id", "type": "string"},                                   # duplicate
        {"name": "weird", "type": "colour"},                                # unknown type
        {"name": "coded", "type": "string", "nomenclature": "NOPE"},       # unknown list
        {"name": "sized", "type": "string", "constraints": {"maxLength": "ten"}},  # frictionless
        {"name": "bad_length", "type": "string", "length": "a lot"},
        "not a field",
    ]
    raw["primaryKey"] = ["id", "missing"]
    raw["foreignKeys"].append({"fields": "parent", "reference": {"resource": "ELSEWHERE",
                                                                 "fields": "id"}})
    raw["foreignKeys"].append({"fields": "parent", "reference": {"resource": "",
                                                                 "fields": "nothing"}})
    found = problems(raw, known_nomenclatures={"IR_SEX_V"})
    expected = [
        ("VISITS.id", "defined 2 times"),
        ("VISITS.weird", "unknown type 'colour'"),
        ("VISITS.coded", "unknown nomenclature 'NOPE'"),
        ("VISITS.sized", "'ten' is not of type 'integer'"),
        ("VISITS.bad_length", "'length' 'a lot' is not a length"),
        ("VISITS field 11", "a field must be an object"),
        ("VISITS primary key", "no variable 'missing'"),
        ("VISITS foreign key (parent)", "refers to unknown table 'ELSEWHERE'"),
        ("VISITS foreign key (parent)", "VISITS has no variable 'nothing'"),
    ]
    for where, what in expected:
        assert has(found, where, what), (where, what, found)
    assert len(found) == len(expected), found


def test_package_problems_name_their_resource():
    raw = package()
    raw["resources"] += [
        {"name": "persons", "path": "again.csv",
         "schema": {"fields": [{"name": "x", "type": "string"}]}},          # duplicate table
        {"name": "orphans", "path": "o.csv", "schema": {
            "fields": [{"name": "pid", "type": "string"}],
            "foreignKeys": [{"fields": "pid", "reference": {"resource": "stays",
                                                            "fields": "nope"}}]}},
        {"name": "bad/name", "path": "b.csv", "schema": {"fields": [{"name": "x"}]}},
        {"name": "nofile", "schema": {"fields": [{"name": "x"}]}},           # frictionless
        {"name": "noschema", "path": "n.csv"},
        {"name": "codes", "nomenclature": {"code": "code", "label": "text"},
         "data": [["code", "label"], ["1", "a"], ["1", "b"]]},
        {"name": "rows", "nomenclature": {"code": "code"}, "data": [["code"], ["1", "extra"]]},
        {"name": "external", "nomenclature": {"code": "code"}, "path": "codes.csv"},
    ]
    found = problems(raw)
    expected = [
        ("table persons", "defined 2 times"),
        ("orphans foreign key (pid)", "stays has no variable 'nope'"),
        ("resource bad/name", "use letters, digits"),
        ("resource nofile", 'one of the properties "path" or "data" is required'),
        ("resource noschema", "no 'schema'"),
        ("resource codes", "the label field 'text' is not in the data"),
        ("resource codes", "code '1' is listed 2 times"),
        ("resource rows data row 2", "2 values for 1 columns"),
        ("resource external", "inline, in 'data'"),
    ]
    for where, what in expected:
        assert has(found, where, what), (where, what, found)


def test_references_that_would_be_fetched_are_refused():
    raw = package()
    raw["resources"][0]["schema"] = "http://127.0.0.1:9/schema.json"
    raw["profile"] = "/etc/passwd"
    raw["resources"][1]["dialect"] = "https://example.org/dialect.json"
    found = problems(raw)
    assert has(found, "descriptor.resources[0].schema", "is not fetched")
    assert has(found, "descriptor.profile", "only the standard profiles")
    assert has(found, "descriptor.resources[1].dialect", "is not fetched")


def test_a_schema_needs_a_name_and_names_fit_the_catalogue():
    raw = schema()
    del raw["name"]
    assert has(problems(raw, known_nomenclatures={"IR_SEX_V"}), "schema",
               "the schema has no 'name'")
    raw["name"] = "a" * 101
    assert has(problems(raw, known_nomenclatures={"IR_SEX_V"}), "schema", "longer than 100")


def test_years_must_be_years():
    assert has(problems(package(temporal={"start": "soon", "end": 2020})),
               "package temporal.start", "a year")
    assert has(problems(package(temporal={"start": 2021, "end": 2020})),
               "package temporal", "the start comes after the end")


def test_a_lone_schema_cannot_point_at_other_tables():
    raw = schema()
    raw["foreignKeys"] = [{"fields": "parent", "reference": {"resource": "IR_BEN_R",
                                                             "fields": "BEN_NIR_PSA"}}]
    assert has(problems(raw, known_nomenclatures={"IR_SEX_V"}), "VISITS foreign key (parent)",
               "unknown table 'IR_BEN_R'")


# --- the upload's size ----------------------------------------------------------------------------


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.served = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.served += len(chunk)
        return chunk


def test_uploads_over_the_limit_are_refused_without_reading_them_whole():
    stream = CountingStream(b"x" * 10_000)
    with pytest.raises(SpecError) as caught:
        read_upload(stream, 1000)
    assert caught.value.problems[0][0] == "file"
    assert "1,000 bytes" in caught.value.problems[0][1]
    assert stream.served == 1001
    assert read_upload(io.BytesIO(b"y" * 1000), 1000) == b"y" * 1000


# --- nothing half-imported ------------------------------------------------------------------------


def _counts():
    from hygie.web.catalogue.models import Code, DatasetVersion, Nomenclature, Table, Variable

    return [m.objects.count() for m in (DatasetVersion, Table, Variable, Nomenclature, Code)]


@pytest.mark.django_db
def test_a_failing_import_leaves_nothing_behind():
    from hygie.web.catalogue.importer import import_version
    from hygie.web.catalogue.models import DataHolder, Dataset

    holder = DataHolder.objects.create(slug="h", name="H")
    dataset = Dataset.objects.create(slug="d", holder=holder, title_fr="D")
    spec = parse_descriptor(json.dumps(package()))
    # The code list's rows break while they are written: tables and codes were already sent.
    broken = dataclasses.replace(spec.nomenclatures[0],
                                 rows=lambda: [{"code": "1"}, {"label": "no code"}])
    spec = dataclasses.replace(spec, nomenclatures=(broken,))
    before = _counts()
    with pytest.raises(SpecError) as caught:
        import_version(dataset, spec)
    assert caught.value.problems[0][0] == "nomenclature sex row 3"
    assert _counts() == before
    # The same package, whole, imports.
    version = import_version(dataset, parse_descriptor(json.dumps(package())))
    assert version.tables.count() == 2
    assert dataset.nomenclatures.get(name="sex").codes.count() == 2


@pytest.mark.django_db
def test_unknown_code_lists_are_refused_before_writing():
    from hygie.web.catalogue.importer import import_version
    from hygie.web.catalogue.models import DataHolder, Dataset

    holder = DataHolder.objects.create(slug="h", name="H")
    dataset = Dataset.objects.create(slug="d", holder=holder, title_fr="D")
    spec = parse_descriptor(json.dumps(schema()), known_nomenclatures={"IR_SEX_V"})
    before = _counts()
    with pytest.raises(SpecError) as caught:
        import_version(dataset, spec)  # this dataset has no IR_SEX_V list
    assert caught.value.problems == [("VISITS.sex", "unknown nomenclature 'IR_SEX_V'")]
    assert _counts() == before
    # A list the dataset has is enough.
    spec_list = NomenclatureSpec("IR_SEX_V", code_column="SEX_COD", rows=lambda: [
        {"SEX_COD": "1"}])
    import_version(dataset, dataclasses.replace(spec, nomenclatures=(spec_list,)))
    again = parse_descriptor(json.dumps(schema()),
                             known_nomenclatures=dataset.nomenclatures.values_list("name",
                                                                                   flat=True))
    assert import_version(dataset, again).number == 2


# --- any input: a SpecError or a spec, never a crash ----------------------------------------------

_KEYS = st.sampled_from(["name", "type", "format", "fields", "resources", "schema", "primaryKey",
                         "foreignKeys", "reference", "resource", "constraints", "maxLength",
                         "required", "nomenclature", "code", "label", "data", "path", "title",
                         "description", "temporal", "start", "end", "length", "title_fr",
                         "product", "version", "missingValues"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 300), st.text(max_size=5),
                     st.sampled_from(["", "-", "A B", "x/y", "string", "integer", "colour", "id",
                                      "default", "10,2", "LIST:COL", "data-package"]))
_TREE = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=6)), max_leaves=30)
_OBJECTS = st.dictionaries(_KEYS, _TREE, max_size=6)
_DESCRIPTORS = st.one_of(
    _OBJECTS,
    st.builds(lambda r: {"resources": r}, st.lists(_OBJECTS, max_size=3)),
    st.builds(lambda f: {"name": "T", "fields": f}, st.lists(_OBJECTS, max_size=4)))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_DESCRIPTORS)
def test_any_descriptor_gives_a_spec_or_placed_problems(descriptor):
    try:
        spec = parse_descriptor(json.dumps(descriptor))
    except SpecError as exc:
        assert exc.problems
        assert all(isinstance(w, str) and w and isinstance(m, str) and m for w, m in exc.problems)
    else:
        assert spec.tables
