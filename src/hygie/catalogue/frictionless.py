"""Frictionless descriptors as catalogue descriptions: a Table Schema (one table) or a Data Package
(several tables, keys between them, code lists) becomes a checked `VersionSpec`.

What is read, beyond the standard properties:

- a field's `nomenclature` names the code list its values come from (`"LIST"` or `"LIST:COLUMN"`,
  `"-"` for none), as in the SNDS schemas; `length` (`"10"`, `"10,2"`), `dateCreated`,
  `dateDeleted` and a table schema's `name`/`produit` are read as the SNDS schemas write them;
- a Data Package resource carrying a `nomenclature` object (`{"code": FIELD, "label": FIELD}`) is a
  code list, its codes inline in `data`, rather than a table;
- `title`/`description` go to the language given by the caller; `title_fr`, `title_en`,
  `description_fr` and `description_en` set one language explicitly;
- a package's `temporal` (`{"start": 2014, "end": 2023}`) gives the years the version covers.

Every problem is reported at once, each with its place (`SpecError.problems`). The `frictionless`
library checks the standard properties; it is run piece by piece (field, resource, package) so
that its messages can name their place, then on the whole descriptor as the last gate. Nothing is
ever fetched: references to external schemas, dialects or profiles are refused, not followed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import partial
from typing import IO, Any

from hygie.catalogue.spec import (
    TYPES,
    NomenclatureSpec,
    RelationSpec,
    SpecError,
    TableSpec,
    VariableSpec,
    VersionSpec,
)
from hygie.nesting import too_deep

# The catalogue stores names in columns of these widths (hygie.web.catalogue.models).
NAME_MAX = 100
TITLE_MAX = 300
FORMAT_MAX = 50
DATE_MAX = 30
# Table and code list names appear in page addresses: no "/" nor spaces.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
# Profiles frictionless knows by name; anything else would be fetched (a file or a URL).
_PROFILES = {"data-package", "tabular-data-package", "data-resource", "tabular-data-resource"}
_SCHEMA_URLS = ("https://datapackage.org/profiles/", "https://specs.frictionlessdata.io/")
# A descriptor needs about 6 levels (package, resources, schema, fields, constraints, enum).
# Deeper input is refused before anything walks it: frictionless and jsonschema recurse.
MAX_DEPTH = 50
# Lengths are stored in 32-bit integer columns; ASCII digits only ("²".isdigit() is true).
LENGTH_MAX = 2**31 - 1
_LENGTH = re.compile(r"(\d{1,10}) *(?:, *(\d{1,10}))?", re.ASCII)
# Problems quote the input: bound what one message repeats and how many are listed.
MESSAGE_MAX = 300
PROBLEMS_MAX = 200

Problems = list[tuple[str, str]]


def read_upload(stream: IO[bytes], max_bytes: int) -> bytes:
    """The bytes of an uploaded descriptor, refused when over `max_bytes` (never more than one
    byte past the limit is read)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SpecError([("file", f"larger than the {max_bytes:,} bytes allowed")])
    return data


def load_json(data: bytes | str) -> Any:
    """Parse JSON text, a SpecError naming the line and column on malformed input."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SpecError([("file", f"not UTF-8 text (byte {exc.start})")]) from None
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise SpecError([(f"line {exc.lineno}, column {exc.colno}",
                          f"malformed JSON: {exc.msg}")]) from None
    except RecursionError:
        raise SpecError([("file", f"nested more than {MAX_DEPTH} levels deep")]) from None
    except ValueError:  # Python refuses to convert integers of over 4,300 digits
        raise SpecError([("file", "malformed JSON: a number has more than 4,300 digits")]
                        ) from None


def _bounded(problems: Problems) -> Problems:
    """At most PROBLEMS_MAX problems of at most MESSAGE_MAX characters each."""
    def cut(text: str) -> str:
        return text if len(text) <= MESSAGE_MAX else text[:MESSAGE_MAX - 1] + "…"

    out = [(cut(where), cut(what)) for where, what in problems[:PROBLEMS_MAX]]
    if len(problems) > PROBLEMS_MAX:
        out.append(("file", f"and {len(problems) - PROBLEMS_MAX:,} more problems"))
    return out


def parse_descriptor(data: bytes | str | Mapping[str, Any], *, name: str = "",
                     language: str = "fr", known_nomenclatures: Iterable[str] = (),
                     origin: str = "") -> VersionSpec:
    """A Table Schema or Data Package (JSON text or already parsed) as a checked VersionSpec.

    `name` names the table of a Table Schema that has no `name` of its own (e.g. the file's stem);
    `known_nomenclatures` are code lists the dataset already has. Raises SpecError listing every
    problem with its place."""
    if language not in ("fr", "en"):
        raise ValueError(f"language must be 'fr' or 'en', not {language!r}")
    descriptor = load_json(data) if isinstance(data, bytes | str) else data
    if too_deep(descriptor, MAX_DEPTH):
        raise SpecError([("file", f"nested more than {MAX_DEPTH} levels deep")], origin)
    if not isinstance(descriptor, Mapping):
        raise SpecError([("descriptor", f"a JSON object is expected, not {_kind(descriptor)}")],
                        origin)
    problems = list(_external_references(descriptor, "descriptor"))
    if problems:  # refused before frictionless sees it: it would fetch them
        raise SpecError(_bounded(problems), origin)
    if "resources" in descriptor:
        whole, where = "Package", "package"
    elif "fields" in descriptor:
        whole, where = "Schema", "schema"
    else:
        raise SpecError([("descriptor", "neither a Table Schema (no 'fields') nor a Data Package "
                                        "(no 'resources')")], origin)
    spec, problems = _read(descriptor, name, language, placed=False)
    try:
        spec.check(known_nomenclatures=known_nomenclatures)
    except SpecError as exc:
        problems += [p for p in exc.problems if p not in problems]
    # Frictionless on the whole descriptor: one pass when it is valid (the usual case). When it
    # is not, a second reading validates piece by piece to say where.
    unplaced = _frictionless_problems(whole, descriptor, where)
    if unplaced:
        _, placed = _read(descriptor, name, language, placed=True)
        extra = [p for p in placed if p not in problems]
        if extra:
            problems += extra
        elif not problems:  # only visible as a whole: say so at the top
            problems = unplaced
    if problems:
        raise SpecError(_bounded(problems), origin)
    return spec


def _read(descriptor: Mapping[str, Any], name: str, language: str, *, placed: bool
          ) -> tuple[VersionSpec, Problems]:
    reader = _Reader(language, placed)
    if "resources" in descriptor:
        spec = reader.package(descriptor)
    else:
        spec = VersionSpec(tables=(reader.table(descriptor, name, "schema"),))
    return spec, reader.problems


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "null"}.get(type(value), type(value).__name__)


def _external_references(node: Any, where: str) -> Iterable[tuple[str, str]]:
    """References frictionless would open or download: external schemas and dialects, custom
    profiles."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            place = f"{where}.{key}"
            if key == "profile" and isinstance(value, str) and value not in _PROFILES:
                yield place, f"profile {value!r}: only the standard profiles are accepted"
            elif key == "$schema" and isinstance(value, str) and not value.startswith(
                    _SCHEMA_URLS):
                yield place, f"{value!r}: only the Data Package standard's profiles are accepted"
            elif key in ("schema", "dialect") and isinstance(value, str):
                yield place, f"external {key} {value!r} is not fetched: include it in the file"
            else:
                yield from _external_references(value, place)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _external_references(value, f"{where}[{i}]")


def _frictionless_problems(kind: str, descriptor: Mapping[str, Any], where: str) -> Problems:
    """What frictionless finds wrong with a descriptor, each note placed at `where`."""
    import frictionless

    cls = getattr(frictionless, kind)
    try:
        report = cls.validate_descriptor(_standard(descriptor, kind))
    except Exception as exc:  # frictionless trips over some malformed shapes instead of saying so
        return [(where, f"not a valid {kind} descriptor ({type(exc).__name__}: {exc})")]
    return [(where, error.note or error.message) for error in report.errors]


def _standard(node: Any, kind: str) -> Any:
    """A copy that frictionless accepts where we are deliberately looser, as the SNDS schemas
    need: table names in upper case (Data Package v2 allows them; frictionless still holds to the
    v1 lower case), a schema's own `name`, and a `description` inside `constraints`."""
    if kind == "Package":
        if not isinstance(node.get("resources"), list):
            return dict(node)
        return {**node, "resources": [_standard(r, "Resource") if isinstance(r, Mapping) else r
                                      for r in node["resources"]]}
    if kind == "Resource":
        out = dict(node)
        if isinstance(out.get("name"), str):
            out["name"] = out["name"].lower()
        if isinstance(out.get("schema"), Mapping):
            out["schema"] = _standard(out["schema"], "Schema")
        return out
    if kind == "Schema":
        out = {k: v for k, v in node.items() if k != "name"}
        if isinstance(out.get("fields"), list):
            out["fields"] = [_standard(f, "Field") if isinstance(f, Mapping) else f
                             for f in out["fields"]]
        if isinstance(out.get("foreignKeys"), list):
            out["foreignKeys"] = [_lower_reference(fk) for fk in out["foreignKeys"]]
        return out
    if kind == "Field" and isinstance(node.get("constraints"), Mapping):
        return {**node, "constraints": {k: v for k, v in node["constraints"].items()
                                        if k != "description"}}
    return dict(node)


def _lower_reference(fk: Any) -> Any:
    if isinstance(fk, Mapping) and isinstance(fk.get("reference"), Mapping) and isinstance(
            fk["reference"].get("resource"), str):
        return {**fk, "reference": {**fk["reference"],
                                    "resource": fk["reference"]["resource"].lower()}}
    return fk


class _Reader:
    """Maps descriptors to specs, collecting problems instead of stopping at the first; when
    `placed`, has frictionless check each field and resource on its own, to name the place of
    what it finds."""

    def __init__(self, language: str, placed: bool = False) -> None:
        self.language = language
        self.placed = placed
        self.other = "en" if language == "fr" else "fr"
        self.problems: Problems = []

    def problem(self, where: str, what: str) -> None:
        self.problems.append((where, what))

    # --- texts --------------------------------------------------------------------------------

    def text(self, node: Mapping[str, Any], key: str, where: str, limit: int | None = None
             ) -> dict[str, str]:
        """`key` in the reader's language, `key_fr`/`key_en` set explicitly."""
        out = {f"{key}_fr": "", f"{key}_en": ""}
        for prop, target in ((key, f"{key}_{self.language}"), (f"{key}_fr", f"{key}_fr"),
                             (f"{key}_en", f"{key}_en")):
            value = node.get(prop)
            if value is None:
                continue
            if not isinstance(value, str):
                self.problem(where, f"'{prop}' must be text, not {_kind(value)}")
            elif limit and len(value) > limit:
                self.problem(where, f"'{prop}' is longer than {limit} characters")
            else:
                out[target] = value.strip()
        return out

    def name(self, value: Any, where: str, *, safe: bool) -> str:
        if not isinstance(value, str) or not value.strip():
            self.problem(where, "no name" if value in (None, "") else
                         f"the name must be text, not {_kind(value)}")
            return ""
        if len(value) > NAME_MAX:
            self.problem(where, f"the name is longer than {NAME_MAX} characters")
        elif safe and not _SAFE_NAME.match(value):
            self.problem(where, f"name {value!r}: use letters, digits, '_', '-' or '.' only")
        return value

    # --- fields and tables --------------------------------------------------------------------

    def variable(self, raw: Any, table: str, i: int) -> VariableSpec | None:
        where = f"{table} field {i + 1}"
        if not isinstance(raw, Mapping):
            self.problem(where, f"a field must be an object, not {_kind(raw)}")
            return None
        name = self.name(raw.get("name"), where, safe=False)
        where = f"{table}.{name}" if name else where
        ftype = raw.get("type", "string")
        if not isinstance(ftype, str):
            self.problem(where, f"the type must be text, not {_kind(ftype)}")
            ftype = "?"
        if self.placed and ftype in TYPES:  # an unknown type is reported by VersionSpec.check
            self.problems += _frictionless_problems("Field", raw, where)
        fmt = raw.get("format") or ""
        fmt = "" if fmt == "default" or not isinstance(fmt, str) else fmt
        if len(fmt) > FORMAT_MAX:
            self.problem(where, f"the format is longer than {FORMAT_MAX} characters")
        constraints = raw.get("constraints")
        constraints = constraints if isinstance(constraints, Mapping) else {}
        length, scale = self.length(raw, constraints, where)
        texts = self.text(raw, "description", where)
        titles = self.text(raw, "title", where, TITLE_MAX)
        descriptions = {lang: " — ".join(t for t in (titles[f"title_{lang}"],
                                                     texts[f"description_{lang}"]) if t)
                        for lang in ("fr", "en")}
        nomenclature, column = self.nomenclature_of(raw.get("nomenclature"), where)
        dates = {}
        for prop in ("dateCreated", "dateDeleted"):
            value = raw.get(prop) or ""
            if not isinstance(value, str) or len(value) > DATE_MAX:
                self.problem(where, f"'{prop}' must be a date as text")
                value = ""
            dates[prop] = value
        return VariableSpec(
            name=name, type=ftype, format=fmt, length=length, scale=scale,
            description_fr=descriptions["fr"], description_en=descriptions["en"],
            nomenclature=nomenclature, nomenclature_column=column,
            required=constraints.get("required") is True,
            date_created=dates["dateCreated"], date_deleted=dates["dateDeleted"])

    def length(self, raw: Mapping[str, Any], constraints: Mapping[str, Any], where: str
               ) -> tuple[int | None, int | None]:
        """`constraints.maxLength`, else the SNDS `length` ("10" or "10,2" with decimals)."""
        max_length = constraints.get("maxLength")
        if isinstance(max_length, int) and not isinstance(max_length, bool):
            if not 0 <= max_length <= LENGTH_MAX:
                self.problem(where, f"'constraints.maxLength' must be between 0 and {LENGTH_MAX}")
                return None, None
            return max_length, None
        sized = raw.get("length")
        if sized in (None, ""):
            return None, None
        match = _LENGTH.fullmatch(str(sized).strip()) if isinstance(sized, str | int) else None
        numbers = [int(n) for n in match.groups() if n is not None] if match else []
        if not numbers or max(numbers) > LENGTH_MAX:
            self.problem(where, f"'length' {str(sized)[:40]!r} is not a length (e.g. \"10\" or "
                                f"\"10,2\", at most {LENGTH_MAX})")
            return None, None
        return numbers[0], numbers[1] if len(numbers) > 1 else None

    def nomenclature_of(self, value: Any, where: str) -> tuple[str | None, str]:
        if value in (None, "", "-"):
            return None, ""
        if not isinstance(value, str):
            self.problem(where, f"'nomenclature' must name a code list, not {_kind(value)}")
            return None, ""
        name, _, column = value.partition(":")
        if len(name) > NAME_MAX or len(column) > NAME_MAX:
            self.problem(where, f"'nomenclature' is longer than {NAME_MAX} characters")
            return None, ""
        return name.strip(), column.strip()

    def table(self, schema: Mapping[str, Any], name: Any, where: str,
              resource: Mapping[str, Any] | None = None) -> TableSpec:
        """A table from its schema (and, in a package, its resource's name and texts)."""
        if resource is None:  # a lone Table Schema names itself, else the caller names it
            name = schema.get("name") or name
            if not name:
                self.problem(where, "the schema has no 'name' (the table's name)")
            else:
                name = self.name(name, where, safe=True)
        where = name or where
        fields = schema.get("fields")
        variables = []
        if not isinstance(fields, list):
            self.problem(where, f"'fields' must be a list, not {_kind(fields)}")
        else:
            variables = [v for i, f in enumerate(fields) if (v := self.variable(f, where, i))]
        texts = {**self.text(schema, "title", where, TITLE_MAX),
                 **self.text(schema, "description", where)}
        if resource is not None:  # the resource's texts win over its schema's
            for key, value in {**self.text(resource, "title", where, TITLE_MAX),
                               **self.text(resource, "description", where)}.items():
                texts[key] = value or texts[key]
        product = (resource or {}).get("product") or schema.get("produit") or schema.get(
            "product") or ""
        if not isinstance(product, str) or len(product) > NAME_MAX:
            self.problem(where, "'product' must be a short text")
            product = ""
        # A nameless table (already reported) goes by its place, so that later problems have one.
        return TableSpec(name=name or where, product=product,
                         primary_key=self.keys(schema.get("primaryKey"), f"{where} primary key"),
                         variables=tuple(variables),
                         relations=self.relations(schema.get("foreignKeys"), name or where, where),
                         **texts)

    def keys(self, value: Any, where: str) -> tuple[str, ...]:
        if value in (None, "", []):
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.problem(where, "a field name or a list of field names is expected")
        return ()

    def relations(self, value: Any, table: str, where: str) -> tuple[RelationSpec, ...]:
        if value in (None, []):
            return ()
        if not isinstance(value, list):
            self.problem(f"{where} foreign keys", f"a list is expected, not {_kind(value)}")
            return ()
        out = []
        for i, fk in enumerate(value):
            place = f"{where} foreign key {i + 1}"
            reference = fk.get("reference") if isinstance(fk, Mapping) else None
            if not isinstance(reference, Mapping):
                self.problem(place, "a foreign key needs 'fields' and a 'reference'")
                continue
            ref_table = reference.get("resource", "")
            if not isinstance(ref_table, str):
                self.problem(place, "'reference.resource' must name a table")
                continue
            # An empty resource refers to the table itself (the Table Schema standard).
            out.append(RelationSpec(self.keys(fk.get("fields"), place), ref_table or table,
                                    self.keys(reference.get("fields"), place)))
        return tuple(out)

    # --- packages -----------------------------------------------------------------------------

    def package(self, package: Mapping[str, Any]) -> VersionSpec:
        resources = package.get("resources")
        if not isinstance(resources, list) or not resources:
            self.problem("package", "'resources' must be a non-empty list")
            return VersionSpec(tables=())
        if self.placed:  # the package's own properties, its resources one by one below
            self.problems += _frictionless_problems("Package", {**package, "resources": []},
                                                    "package")
        tables, lists = [], []
        kinds: dict[str, set[str]] = {}
        for i, resource in enumerate(resources):
            where = f"resource {i + 1}"
            if not isinstance(resource, Mapping):
                self.problem(where, f"a resource must be an object, not {_kind(resource)}")
                continue
            raw_name = resource.get("name")
            where = f"resource {raw_name}" if isinstance(raw_name, str) and raw_name else where
            n_problems = len(self.problems)
            name = self.name(raw_name, where, safe=True)
            if self.placed:
                own = {k: v for k, v in resource.items() if k != "schema"}
                if len(self.problems) > n_problems:  # said once is enough
                    own["name"] = "unnamed"
                self.problems += _frictionless_problems("Resource", own, where)
            if "nomenclature" in resource:
                nomenclature = self.code_list(resource, name, where)
                if nomenclature:
                    lists.append(nomenclature)
                kinds.setdefault(name, set()).add("code list")
                continue
            kinds.setdefault(name, set()).add("table")
            schema = resource.get("schema")
            if not isinstance(schema, Mapping):
                self.problem(where, "no 'schema' (the table's fields)")
                continue
            tables.append(self.table(schema, name, where, resource))
        for name, both in kinds.items():
            if len(both) > 1:
                self.problem(f"resource {name}", "a table and a code list have the same name")
        first, last = self.years(package.get("temporal"))
        source = package.get("name") or ""
        if isinstance(package.get("version"), str | int) and source:
            source = f"{source}@{package['version']}"
        return VersionSpec(tables=tuple(tables), nomenclatures=tuple(lists),
                           source=str(source)[:300], first_year=first, last_year=last)

    def years(self, temporal: Any) -> tuple[int | None, int | None]:
        if temporal is None:
            return None, None
        years = []
        for key in ("start", "end"):
            value = temporal.get(key) if isinstance(temporal, Mapping) else None
            year = str(value)[:4]
            if value is None or not year.isdigit() or not 1900 <= int(year) <= 2200:
                self.problem(f"package temporal.{key}", "a year (e.g. 2019 or \"2019-01-01\") "
                                                       "is expected")
                return None, None
            years.append(int(year))
        if years[0] > years[1]:
            self.problem("package temporal", "the start comes after the end")
            return None, None
        return years[0], years[1]

    def code_list(self, resource: Mapping[str, Any], name: str, where: str
                  ) -> NomenclatureSpec | None:
        """A resource describing a code list, its codes inline."""
        spec = resource["nomenclature"]
        if not isinstance(spec, Mapping) or not isinstance(spec.get("code"), str):
            self.problem(where, "'nomenclature' must be an object naming its 'code' field")
            return None
        code, label = spec["code"], spec.get("label") or ""
        if not isinstance(label, str):
            self.problem(where, "'nomenclature.label' must name a field")
            return None
        data = resource.get("data")
        if not isinstance(data, list) or not data:
            self.problem(where, "a code list carries its codes inline, in 'data'")
            return None
        rows = self.rows(data, where)
        if rows is None:
            return None
        columns = list(dict.fromkeys(k for row in rows for k in row))
        for role, column in (("code", code), ("label", label)):
            if column and column not in columns:
                self.problem(where, f"the {role} field {column!r} is not in the data")
        for value, n in Counter(row.get(code, "") for row in rows).items():
            if n > 1:
                self.problem(where, f"code {value!r} is listed {n} times")
        title = self.text(resource, "title", where, TITLE_MAX)
        return NomenclatureSpec(
            name=name, code_column=code, label_column=label, columns=tuple(columns),
            title=title[f"title_{self.language}"] or title[f"title_{self.other}"],
            source=str(resource.get("sources", [{}])[0].get("title", ""))[:100]
            if isinstance(resource.get("sources"), list) and resource["sources"]
            and isinstance(resource["sources"][0], Mapping) else "",
            rows=partial(list, rows))

    def rows(self, data: list[Any], where: str) -> list[dict[str, str]] | None:
        """Inline data as rows of text: a list of objects, or of lists under a header row."""
        if all(isinstance(r, Mapping) for r in data):
            return [{str(k): "" if v is None else str(v) for k, v in r.items()} for r in data]
        if all(isinstance(r, list) for r in data):
            header = [str(h) for h in data[0]]
            out = []
            for i, row in enumerate(data[1:], start=2):
                if len(row) != len(header):
                    self.problem(f"{where} data row {i}",
                                 f"{len(row)} values for {len(header)} columns")
                    return None
                out.append({h: "" if v is None else str(v) for h, v in zip(header, row,
                                                                             strict=True)})
            return out
        self.problem(where, "'data' must be a list of objects, or of lists under a header row")
        return None
