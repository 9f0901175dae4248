"""Properties of the airlock's checks over generated tables (hypothesis): what must be blocked
always is, and tables made safe by hygie.sdc pass."""

from __future__ import annotations

import string
import tempfile
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hygie.airlock import KINDS, Declared, Limits, Report, Sidecar, SidecarError, magnitude_table
from hygie.airlock.magnitude import rule_failures
from hygie.sdc import protect_table
from tests.test_airlock_files import check, check_rows, released, table_text

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
LABELS = st.lists(st.sampled_from([f"{w}{i}" for w in ("Nord", "Sud", "Est", "Ouest")
                                   for i in range(5)]), min_size=1, max_size=12, unique=True)
COUNT_NAMES = st.sampled_from(["n", "count", "nb", "effectif", "n_patients", "nb_patients",
                               "patients", "persons", "people", "freq", "Effectifs"])
HIDDEN = st.sampled_from(["<11", "", "NA", "c", "secret"])
CELL = st.one_of(st.integers(0, 500), HIDDEN)


def folder(tmp_path: Path) -> Path:
    """A fresh folder for one example (hypothesis runs many in one test's tmp_path)."""
    return Path(tempfile.mkdtemp(dir=tmp_path))


def blocking(report: Report) -> set[str]:
    return report.codes(blocking=True)


@SETTINGS
@given(labels=LABELS, data=st.data(), name=COUNT_NAMES, declare=st.booleans())
def test_a_table_passes_only_without_counts_from_1_to_10(tmp_path: Path, labels: list[str],
                                                         data: st.DataObject, name: str,
                                                         declare: bool) -> None:
    cells = data.draw(st.lists(CELL, min_size=len(labels), max_size=len(labels)))
    column = "stays" if declare else name  # a name that says nothing, declared as counts
    rows = [("region", column), *zip(labels, cells, strict=True)]
    declared = Declared(counts=[column]) if declare else None
    report = check_rows(folder(tmp_path), rows, declared=declared)
    small = any(isinstance(c, int) and 1 <= c <= 10 for c in cells)
    assert report.blocking == small
    assert ("small_count" in blocking(report)) == small


@SETTINGS
@given(name=st.text(string.ascii_letters + string.digits + " _-éà;,\t", min_size=0, max_size=20),
       tokens=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=30),
       upper=st.booleans())
def test_a_column_of_pseudonyms_is_blocked_whatever_its_name(
        tmp_path: Path, name: str, tokens: list[bytes], upper: bool) -> None:
    values = [t.hex().upper() if upper else t.hex() for t in tokens]
    assume(all(any(c.isalpha() for c in v) and any(c.isdigit() for c in v) for v in values))
    rows = [("age_group", name), *(("40-49", v) for v in values)]
    assert "pseudonym" in blocking(check_rows(folder(tmp_path), rows))


@SETTINGS
@given(labels=LABELS, data=st.data(), d=st.integers(1, 10), name=COUNT_NAMES,
       where=st.sampled_from(["cell", "total"]))
def test_a_difference_of_1_to_10_with_an_earlier_release_is_blocked(
        tmp_path: Path, labels: list[str], data: st.DataObject, d: int, name: str,
        where: str) -> None:
    counts = data.draw(st.lists(st.integers(11, 10_000), min_size=len(labels),
                                max_size=len(labels)))
    tmp = folder(tmp_path)
    before = released(tmp, "earlier.csv", [("region", name), *zip(labels, counts, strict=True)])
    now = list(counts)
    i = data.draw(st.integers(0, len(labels) - 1))
    now[i] += d if data.draw(st.booleans()) else -d
    assume(now[i] >= 11)
    if where == "total":  # a new breakdown: only the grand total can be compared
        rows = [("age", name), ("all ages but one", sum(now) - 11), ("the last", 11)]
    else:
        rows = [("region", name), *zip(labels, now, strict=True)]
    assert "differencing" in blocking(check_rows(tmp, rows, earlier=[before]))


@SETTINGS
@given(labels=LABELS, data=st.data(), d=st.sampled_from([0, 11, 12, 500]), name=COUNT_NAMES)
def test_other_differences_pass(tmp_path: Path, labels: list[str], data: st.DataObject, d: int,
                                name: str) -> None:
    counts = data.draw(st.lists(st.integers(11, 10_000), min_size=len(labels),
                                max_size=len(labels)))
    tmp = folder(tmp_path)
    before = released(tmp, "earlier.csv", [("region", name), *zip(labels, counts, strict=True)])
    now = [*counts[:-1], counts[-1] + d]
    report = check_rows(tmp, [("region", name), *zip(labels, now, strict=True)],
                        earlier=[before])
    assert not report.blocking


TABLE_LABELS = st.lists(st.sampled_from(["r0", "r1", "r2", "r3", "r4", "r5"]), min_size=2,
                        max_size=5, unique=True)


@SETTINGS
@given(rows=TABLE_LABELS, cols=TABLE_LABELS.map(lambda xs: [x.replace("r", "k") for x in xs]),
       data=st.data())
def test_tables_protected_by_hygie_sdc_pass(tmp_path: Path, rows: list[str], cols: list[str],
                                            data: st.DataObject) -> None:
    """hygie.sdc hides cells until none can be recomputed by an attacker who knows more than
    these checks assume: its tables never give a recomputable cell here."""
    values = st.one_of(st.integers(0, 10), st.integers(11, 300))
    two_way = data.draw(st.booleans())
    keys: list[tuple[str, ...]] = ([(r, c) for r in rows for c in cols] if two_way
                                   else [(r,) for r in rows])
    counts = {k: data.draw(values) for k in keys}
    assume(any(v >= 11 for v in counts.values()))
    table = protect_table(counts)
    report = check(folder(tmp_path), "protected.csv", table_text(table.rows()))
    assert "recomputable_from_totals" not in blocking(report)
    assert not report.blocking


@SETTINGS
@given(labels=LABELS.filter(lambda xs: len(xs) >= 2), data=st.data())
def test_one_small_cell_hidden_alone_beside_its_total_is_blocked(
        tmp_path: Path, labels: list[str], data: st.DataObject) -> None:
    small = data.draw(st.integers(1, 10))
    counts = data.draw(st.lists(st.integers(11, 500), min_size=len(labels) - 1,
                                max_size=len(labels) - 1))
    i = data.draw(st.integers(0, len(labels) - 1))
    cells: list[object] = [*counts[:i], "<11", *counts[i:]]
    rows = [("region", "n"), *zip(labels, cells, strict=True), ("Total", sum(counts) + small)]
    report = check_rows(folder(tmp_path), rows)
    assert blocking(report) == {"recomputable_from_totals"}
    assert f"is {small}," in report.findings[0].message


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["by", "value", "cells", "key", "n", "sum",
                                                       "top1", "top2", "negative"]), inner,
                                      max_size=6), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(data=JSON)
def test_a_sidecar_is_read_or_refused_cleanly(data: object) -> None:
    try:
        sidecar = Sidecar.from_dict(data)
    except SidecarError:
        return
    assert all(not cell.problems() for cell in sidecar.cells)


def by_hand(values: list[int], limits: Limits) -> set[str]:
    """The rules computed in fractions from the raw contributions, as ACRO states them."""
    ranked = sorted(values, reverse=True)
    total = sum(ranked)
    top1, top2 = ranked[0], ranked[1] if len(ranked) > 1 else 0
    found = set()
    if len(ranked) < limits.threshold:
        found.add("small_count")
    k, p = Fraction(str(limits.nk_k)), Fraction(str(limits.p_ratio))
    if total > 0 and Fraction(top1 + top2, total) > k:
        found.add("dominance")
    if total <= 0 or len(ranked) <= 1 or Fraction(total - top1 - top2, top1) < p:
        found.add("p_ratio")
    return found


@settings(max_examples=500, deadline=None)
@given(values=st.lists(st.one_of(st.integers(0, 50), st.integers(0, 100_000)), min_size=1,
                       max_size=40))
def test_dominance_and_p_ratio_agree_with_a_computation_by_hand(values: list[int]) -> None:
    limits = Limits()
    _, sidecar = magnitude_table([{"g": "A", "v": v} for v in values], by=["g"], value="v")
    found = {code for code, _ in rule_failures(sidecar.cells[0], limits)}
    assert found == by_hand(values, limits)


NIR_BODY = st.tuples(st.sampled_from("12"), st.integers(0, 99), st.integers(1, 12),
                     st.sampled_from([*(f"{d:02d}" for d in range(1, 96)), "2A", "2B"]),
                     st.integers(1, 999), st.integers(1, 999))


@SETTINGS
@given(body=NIR_BODY, spaced=st.booleans(), wrong=st.integers(1, 96))
def test_a_nir_with_its_key_is_blocked_and_a_wrong_key_is_not(
        tmp_path: Path, body: tuple[str, int, int, str, int, int], spaced: bool,
        wrong: int) -> None:
    sex, year, month, department, commune, order = body
    digits = f"{sex}{year:02d}{month:02d}{department}{commune:03d}{order:03d}"
    number = int(digits.replace("2A", "19").replace("2B", "18")) if department in ("2A", "2B") \
        else int(digits)
    key = 97 - number % 97
    parts = [sex, f"{year:02d}", f"{month:02d}", department, f"{commune:03d}", f"{order:03d}"]
    sep = " " if spaced else ""
    nir = sep.join([*parts, f"{key:02d}"])
    tmp = folder(tmp_path)
    assert blocking(check(tmp, "notes.txt", f"patient {nir} seen\n")) == {"identifier"}
    other = sep.join([*parts, f"{(key + wrong - 1) % 97 + 1:02d}"])
    assert blocking(check(tmp, "notes.txt", f"patient {other} seen\n")) == set()


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), prefix=st.sampled_from([b"", b"%PDF-1.4\n",
                                                            b"\x89PNG\r\n\x1a\n", b"<svg>",
                                                            b"sex,n\n", b"[{", b"<html>"]),
       content=st.binary(max_size=300))
def test_any_content_gives_a_report(tmp_path: Path, kind: str, prefix: bytes,
                                    content: bytes) -> None:
    report = check(folder(tmp_path), f"file.{kind}", prefix + content)
    assert report.bytes == len(prefix + content)
    assert all(f.code for f in report.findings)
