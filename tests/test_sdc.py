"""Statistical secrecy (hygie.sdc): the SNDS rule, table suppression, cell-key feasibility counts.

The table checks do not trust the library's own audit: they rebuild the linear facts of a released
table from its labels and look for a second table consistent with everything shown (a search over
unit moves, exact for these network-structured tables: two integer solutions differ by a sum of
unit cycles, so a cell that can change at all can change by one along a cycle of unit moves).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
from collections import Counter
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from hygie.sdc import (
    DEFAULT_PTABLE,
    KEY_MODULUS,
    TOTAL,
    CellKey,
    PerturbationTable,
    ProtectedTable,
    Reason,
    Released,
    SdcError,
    audit_table,
    cell_key_of,
    protect_table,
    suppress,
)
from hygie.sdc.cellkey import round_to_base

SECRET = bytes(range(32))
Key = tuple[str, ...]

# ---------------------------------------------------------------------------------------------
# Examples from docs/statistical-secrecy.md
# ---------------------------------------------------------------------------------------------


def test_doc_examples_single_counts() -> None:
    assert [str(suppress(n)) for n in (0, 1, 10, 11, 4321)] == ["0", "<11", "<11", "11", "4321"]
    assert str(suppress(0, hide_zero=True)) == "<11"
    hidden = suppress(7)
    assert hidden.value is None and hidden.reason is Reason.BELOW_THRESHOLD and hidden.hidden
    assert "7" not in repr(hidden)


def test_doc_example_one_way() -> None:
    table = protect_table({("Ain",): 3, ("Aisne",): 50, ("Allier",): 60})
    assert table.render().splitlines()[:5] == [
        "         count",
        "Ain        <11",
        "Aisne   secret",
        "Allier      60",
        "Total      113",
    ]
    assert audit_table({("Ain",): 3, ("Aisne",): 50, ("Allier",): 60}, table.hidden) == {
        ("Ain",): _range(1, 10), ("Aisne",): _range(43, 52)}


def test_doc_example_two_way() -> None:
    counts = {("F", "0-17"): 3, ("F", "18-64"): 50, ("F", "65+"): 41,
              ("M", "0-17"): 20, ("M", "18-64"): 60, ("M", "65+"): 12}
    table = protect_table(counts)
    assert table.render().splitlines()[:4] == [
        "         0-17  18-64     65+  Total",
        "F         <11     50  secret     94",
        "M      secret     60  secret     92",
        "Total      23    110      53    186",
    ]
    ranges = audit_table(counts, table.hidden)
    assert ranges[("F", "0-17")] == _range(2, 10)  # (M, 65+) >= 11 leaves (F, 65+) <= 42
    assert all(not r.determined for r in ranges.values())


def test_doc_examples_cell_key() -> None:
    ck = CellKey(SECRET)
    assert str(ck.release(137, 0.5)) == "135"  # noise 0, rounded to 5
    assert str(ck.release(137, 0.99)) == "140"  # noise +5: 142, rounded to 140
    assert str(ck.release(12, 0.0)) == "<11"  # noise -5: 7, rounded to 5, hidden
    assert str(ck.release(0, 0.0)) == "<11"  # zero is hidden in feasibility counts
    digest = hmac.new(SECRET, b"person-1", hashlib.sha256).hexdigest()
    assert ck.record_key("person-1") == int(digest[:8], 16)
    assert ck.record_keys(["person-1"])[0] == int(digest[:8], 16) / 2**32


def _range(low: int, high: int | None) -> object:
    from hygie.sdc import Range

    return Range(low, high)


# ---------------------------------------------------------------------------------------------
# One count
# ---------------------------------------------------------------------------------------------


@given(st.integers(0, 10**9), st.booleans())
def test_suppress_never_shows_1_to_10(count: int, hide_zero: bool) -> None:
    released = suppress(count, hide_zero=hide_zero)
    assert released.value is None or released.value == 0 or released.value >= 11
    if 1 <= count <= 10 or (count == 0 and hide_zero):
        assert released.hidden and released.mark == "<11"
    else:
        assert released.value == count and released.exact


@pytest.mark.parametrize("bad", [-1, 2.0, True, "3", None])
def test_suppress_refuses_non_counts(bad: object) -> None:
    with pytest.raises(SdcError):
        suppress(bad)  # type: ignore[arg-type]


def test_released_refuses_small_values() -> None:
    with pytest.raises(SdcError):
        Released(7, Reason.SHOWN)
    with pytest.raises(SdcError):
        Released(None, Reason.SHOWN)
    with pytest.raises(SdcError):
        Released(50, Reason.COMPLEMENTARY)


# ---------------------------------------------------------------------------------------------
# Tables: strategies and an independent attacker
# ---------------------------------------------------------------------------------------------

# Zeros, small cells, cells just above the threshold (the cheapest complements, and the hardest to
# use safely), and larger ones.
cell_counts = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 16), st.integers(17, 60),
                        st.integers(61, 400))


@st.composite
def one_way(draw: st.DrawFn, max_cells: int = 6) -> dict[Key, int]:
    n = draw(st.integers(1, max_cells))
    values = [draw(cell_counts) for _ in range(n)]
    values[draw(st.integers(0, n - 1))] = draw(st.integers(1, 10))  # at least one small cell
    return {(f"c{i}",): v for i, v in enumerate(values)}


@st.composite
def two_way(draw: st.DrawFn, max_rows: int = 4, max_cols: int = 4,
            counts: st.SearchStrategy[int] = cell_counts) -> dict[Key, int]:
    rows = draw(st.integers(1, max_rows))
    cols = draw(st.integers(1, max_cols))
    table: dict[Key, int] = {(f"r{i}", f"k{j}"): draw(counts) for i in range(rows)
                             for j in range(cols)}
    table[(f"r{draw(st.integers(0, rows - 1))}", f"k{draw(st.integers(0, cols - 1))}")] = draw(
        st.integers(1, 10))  # at least one small cell
    return table


tables = st.one_of(one_way(), two_way())


def full_values(counts: Mapping[Key, int], table: ProtectedTable) -> dict[Key, int]:
    """The true table with margins, computed here from the input (not by the library)."""
    axes = table.axes()
    values = dict(counts)
    if not table.with_totals:
        return {k: values.get(k, 0) for k in table.cells}
    if table.dims == 1:
        values[(TOTAL,)] = sum(counts.values())
        return values
    rows, cols = table.labels
    for r in rows:
        values[(r, TOTAL)] = sum(counts.get((r, c), 0) for c in cols)
    for c in cols:
        values[(TOTAL, c)] = sum(counts.get((r, c), 0) for r in rows)
    values[(TOTAL, TOTAL)] = sum(counts.values())
    return {(r, c): values.get((r, c), 0) for r in axes[0] for c in axes[1]}


def lines(table: ProtectedTable) -> list[dict[Key, int]]:
    """Each linear fact of a table with totals, as coefficients: members +1, the total -1."""
    axes = table.axes()
    if table.dims == 1:
        return [{**{(a,): 1 for a in table.labels[0]}, (TOTAL,): -1}]
    rows, cols = axes
    out: list[dict[Key, int]] = [{**{(r, c): 1 for c in cols[:-1]}, (r, TOTAL): -1} for r in rows]
    out += [{**{(r, c): 1 for r in rows[:-1]}, (TOTAL, c): -1} for c in cols]
    return out


def attacker_bounds(table: ProtectedTable, values: Mapping[Key, int],
                    hide_zero: bool = False) -> tuple[dict[Key, int], dict[Key, float]]:
    lo: dict[Key, int] = {}
    hi: dict[Key, float] = {}
    for key, cell in table.cells.items():
        if cell.reason is Reason.BELOW_THRESHOLD:
            lo[key], hi[key] = (0 if hide_zero else 1), 10
        elif cell.reason is Reason.COMPLEMENTARY:
            lo[key], hi[key] = 11, float("inf")
        else:
            assert cell.value == values[key]
            lo[key] = hi[key] = values[key]
    return lo, hi


def can_move(target: Key, table: ProtectedTable, values: Mapping[Key, int],
             hide_zero: bool = False) -> bool:
    """Is there another table, consistent with all that is shown, where `target` differs?"""
    lo, hi = attacker_bounds(table, values, hide_zero)
    hidden = sorted(table.hidden, key=lambda k: (k != target, k))
    facts = [{k: c for k, c in line.items() if k in table.hidden} for line in lines(table)]
    facts = [f for f in facts if f]
    of_cell: dict[Key, list[int]] = {k: [] for k in hidden}
    for i, fact in enumerate(facts):
        for k in fact:
            of_cell[k].append(i)
    moves = {k: [d for d in (-1, 0, 1) if lo[k] <= values[k] + d <= hi[k] and (k != target or d)]
             for k in hidden}
    partial = [0] * len(facts)
    left = [len(f) for f in facts]

    def search(i: int) -> bool:
        if i == len(hidden):
            return all(p == 0 for p in partial)
        key = hidden[i]
        for d in moves[key]:
            for j in of_cell[key]:
                partial[j] += facts[j][key] * d
                left[j] -= 1
            if all(abs(partial[j]) <= left[j] for j in of_cell[key]) and search(i + 1):
                return True
            for j in of_cell[key]:
                partial[j] -= facts[j][key] * d
                left[j] += 1
        return False

    return search(0)


def linearly_determined(table: ProtectedTable) -> list[Key]:
    """Hidden cells whose value follows from the shown cells and totals by linear algebra alone."""
    hidden = sorted(table.hidden)
    if not hidden or not table.with_totals:
        return []
    a = np.array([[line.get(k, 0) for k in hidden] for line in lines(table)], dtype=float)
    rank = np.linalg.matrix_rank(a)
    return [k for i, k in enumerate(hidden) if np.linalg.matrix_rank(np.delete(a, i, axis=1)) < rank]


def _event(text: str) -> None:
    """Statistics for `pytest --hypothesis-show-statistics` (outside hypothesis: nothing)."""
    if currently_in_test_context():
        event(text)


def check_protected(counts: Mapping[Key, int], table: ProtectedTable, hide_zero: bool = False,
                    exhaustive_limit: int = 16) -> None:
    values = full_values(counts, table)
    assert set(table.cells) == set(values)
    for key, cell in table.cells.items():
        v = values[key]
        small = 1 <= v <= 10 or (hide_zero and v == 0)
        assert cell.value is None or cell.value == 0 or cell.value >= 11  # never 1..10
        assert cell.hidden if small else (cell.value == v or cell.reason is Reason.COMPLEMENTARY)
        assert (cell.reason is Reason.BELOW_THRESHOLD) == small
        if cell.reason is Reason.COMPLEMENTARY:
            assert v >= 11  # zeros shown are never hidden; small cells are primary
    if not table.with_totals:
        assert not table.complementary
        return
    for line in lines(table):  # no hidden cell alone in a row or column (margins included)
        assert sum(k in table.hidden for k in line) != 1, line
    assert linearly_determined(table) == []
    _event(f"{table.dims}-way, complementary cells: {min(len(table.complementary), 5)}"
          f"{'+' if len(table.complementary) >= 5 else ''}")
    if len(table.hidden) <= exhaustive_limit:
        _event("searched for another consistent table")
        for key in table.hidden:
            assert can_move(key, table, values, hide_zero), f"{key} can be recomputed"


# ---------------------------------------------------------------------------------------------
# Tables: properties
# ---------------------------------------------------------------------------------------------


@settings(max_examples=1500, deadline=None)
@given(tables)
def test_no_hidden_cell_can_be_recomputed(counts: dict[Key, int]) -> None:
    check_protected(counts, protect_table(counts))


@settings(max_examples=500, deadline=None)
@given(tables)
def test_no_hidden_cell_can_be_recomputed_when_zeros_are_hidden(counts: dict[Key, int]) -> None:
    check_protected(counts, protect_table(counts, hide_zero=True), hide_zero=True)


@settings(max_examples=150, deadline=None)
@given(two_way(max_rows=7, max_cols=7))
def test_larger_tables_are_protected(counts: dict[Key, int]) -> None:
    table = protect_table(counts)
    check_protected(counts, table, exhaustive_limit=10)
    assert all(not r.determined for r in audit_table(counts, table.hidden).values())


@settings(max_examples=100, deadline=None)
@given(tables)
def test_without_totals_only_small_cells_are_hidden(counts: dict[Key, int]) -> None:
    table = protect_table(counts, with_totals=False)
    check_protected(counts, table)
    assert {k for k, v in counts.items() if 1 <= v <= 10} == table.hidden


@settings(max_examples=100, deadline=None)
@given(tables, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(counts: dict[Key, int], rnd: random.Random) -> None:
    items = list(counts.items())
    rnd.shuffle(items)
    first, second = protect_table(counts), protect_table(dict(items))
    assert first.cells == second.cells


@settings(max_examples=100, deadline=None)
@given(tables)
def test_tables_without_small_cells_are_shown_whole(counts: dict[Key, int]) -> None:
    big = {k: (v if v == 0 or v > 10 else v + 11) for k, v in counts.items()}
    assert not protect_table(big).hidden


@settings(max_examples=100, deadline=None)
@given(st.one_of(one_way(), two_way(max_rows=3, max_cols=3)), st.integers(2, 6))
def test_min_width_is_honoured(counts: dict[Key, int], width: int) -> None:
    table = protect_table(counts, min_width=width)
    check_protected(counts, table)
    assert all(r.width >= width for r in audit_table(counts, table.hidden).values())


class SearchTooLarge(Exception):
    """The enumeration would visit more tables than the test can afford."""


def brute_force_ranges(counts: Mapping[Key, int], table: ProtectedTable,
                       limit: int = 200_000) -> dict[Key, tuple[int, int]]:
    """Every table consistent with what is shown, enumerated (bounded by the shown grand total);
    SearchTooLarge when more than `limit` candidate tables would be enumerated."""
    values = full_values(counts, table)
    lo, hi = attacker_bounds(table, values)
    grand = table.cells[(TOTAL,) * table.dims].value
    assert grand is not None
    hidden = sorted(table.hidden)
    cap = {k: int(min(hi[k], grand)) for k in hidden}
    space = math.prod(cap[k] - lo[k] + 1 for k in hidden)
    if space > limit:  # exponential in the hidden cells: one such example once took over 10 min
        raise SearchTooLarge(space)
    facts = lines(table)
    seen: dict[Key, set[int]] = {k: set() for k in hidden}
    assign: dict[Key, int] = {k: v for k, v in values.items() if k not in table.hidden}

    def feasible() -> bool:
        for fact in facts:
            known = sum(c * assign[k] for k, c in fact.items() if k in assign)
            low = known + sum(c * (lo[k] if c > 0 else cap[k]) for k, c in fact.items()
                              if k not in assign)
            high = known + sum(c * (cap[k] if c > 0 else lo[k]) for k, c in fact.items()
                               if k not in assign)
            if not low <= 0 <= high:
                return False
        return True

    def search(i: int) -> None:
        if not feasible():
            return
        if i == len(hidden):
            for k in hidden:
                seen[k].add(assign[k])
            return
        for v in range(lo[hidden[i]], cap[hidden[i]] + 1):
            assign[hidden[i]] = v
            search(i + 1)
        del assign[hidden[i]]

    search(0)
    return {k: (min(s), max(s)) for k, s in seen.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(one_way(max_cells=4),
                 two_way(max_rows=2, max_cols=3, counts=st.integers(0, 20))),
       st.sets(st.integers(0, 11), max_size=3))
def test_audit_ranges_match_brute_force(counts: dict[Key, int], extra: set[int]) -> None:
    """The flow-based ranges equal those found by enumerating every consistent table."""
    base = protect_table(counts)
    keys = sorted(base.cells)
    # Hide a few more non-zero cells, to audit patterns the greedy search would not choose.
    hidden = set(base.hidden) | {keys[i] for i in extra if i < len(keys)}
    values = full_values(counts, base)
    hidden = {k for k in hidden if values[k] > 0}
    table = ProtectedTable(base.dims, base.labels, {
        k: (cell if k not in hidden or cell.hidden else Released(None, Reason.COMPLEMENTARY))
        for k, cell in base.cells.items()}, True)
    if table.cells[(TOTAL,) * table.dims].hidden or not hidden:
        event("nothing to compare (grand total hidden, or nothing hidden)")
        return
    try:
        expected = brute_force_ranges(counts, table)
    except SearchTooLarge:
        event("nothing to compare (too many candidate tables to enumerate)")
        return
    event(f"compared, {table.dims}-way")
    got = audit_table(counts, hidden)
    assert {k: (r.low, r.high) for k, r in got.items()} == expected


def test_audit_finds_recomputable_cells() -> None:
    counts: dict[Key, int] = {("a",): 1, ("b",): 11, ("c",): 100}
    # a + b = 12 with b >= 11 leaves a = 1: hiding the smallest neighbour is not enough here.
    assert audit_table(counts, {("a",), ("b",)})[("a",)].determined
    table = protect_table(counts)
    check_protected(counts, table)
    assert table.hidden == {("a",), ("c",)}
    # A lone hidden cell in a row is recomputed from its total.
    two = {("r", "x"): 5, ("r", "y"): 30, ("s", "x"): 40, ("s", "y"): 50}
    assert audit_table(two, {("r", "x")})[("r", "x")] == _range(5, 5)


def test_big_table_is_quick() -> None:
    rng = random.Random(3)
    counts: dict[Key, int] = {(f"r{i:02}", f"c{j:02}"): rng.choice([0, 1, 4, 9, 15, 40, 120, 600])
              for i in range(20) for j in range(15)}
    table = protect_table(counts)
    check_protected(counts, table, exhaustive_limit=0)


@pytest.mark.parametrize("counts, message", [
    ({}, "empty"),
    ({("a", "b", "c"): 3}, "1 label"),
    ({("a",): 3, ("a", "b"): 4}, "1 label"),
    ({("Total",): 3}, "reserved"),
    ({("a",): -1}, "negative"),
    ({("a",): 2.5}, "integer"),
    ({(1,): 2}, "text"),
])
def test_tables_refuse_bad_input(counts: dict[Key, int], message: str) -> None:
    with pytest.raises(SdcError, match=message):
        protect_table(counts)


def test_hidden_values_are_not_kept() -> None:
    table = protect_table({("a",): 7, ("b",): 13, ("c",): 900})
    for key in table.hidden:
        assert table[key].value is None
    assert "7" not in repr(table.cells[("a",)]) and "13" not in table.render()


# ---------------------------------------------------------------------------------------------
# Cell key
# ---------------------------------------------------------------------------------------------

CK = CellKey(SECRET)
cell_keys = st.integers(0, KEY_MODULUS - 1)
counts_small_first = st.one_of(st.integers(0, 30), st.integers(0, 10**7))


@settings(max_examples=2000)
@given(counts_small_first, cell_keys, st.sampled_from([1, 5, 10]))
def test_cell_key_never_releases_1_to_10(count: int, key: int, base: int) -> None:
    ck = CellKey(SECRET, base=base)
    released = ck.release_sum(count, key)
    assert released.value is None or released.value >= 11
    if count < 11:
        assert released.hidden and released.mark == "<11"  # 0 included
    if released.value is not None:
        assert released.value % base == 0
        assert abs(released.value - count) <= DEFAULT_PTABLE.max_noise + base // 2
        assert released.reason is Reason.PERTURBED and released.base == base


@given(cell_keys)
def test_release_from_float_key_equals_release_from_sum(key: int) -> None:
    assert CK.release(500, key / KEY_MODULUS) == CK.release_sum(500, key + 7 * KEY_MODULUS)


ids = st.lists(st.one_of(st.integers(0, 10**6).map(str), st.text(min_size=1, max_size=12)),
               min_size=0, max_size=60)


@settings(max_examples=300)
@given(ids, st.randoms(use_true_random=False))
def test_same_people_same_answer(people: list[str], rnd: random.Random) -> None:
    shuffled = people + people[: len(people) // 2]  # duplicates count once
    rnd.shuffle(shuffled)
    assert CK.count(people) == CK.count(shuffled)
    assert CK.cell_key(people) == CK.cell_key(shuffled)
    distinct = sorted(set(people))
    assert CK.count(distinct) == CK.release(len(distinct), cell_key_of(CK.record_keys(distinct)))


@given(st.lists(st.integers(0, KEY_MODULUS - 1), max_size=50))
def test_cell_key_is_the_exact_sum_mod_1(units: list[int]) -> None:
    keys = np.array(units, dtype=np.float64) / KEY_MODULUS
    assert cell_key_of(keys) == (sum(units) % KEY_MODULUS) / KEY_MODULUS


def test_noise_table_is_centred_and_bounded() -> None:
    probs = DEFAULT_PTABLE.probabilities()
    assert sum(probs.values()) == 1
    assert set(probs) == set(range(-5, 6)) and DEFAULT_PTABLE.max_noise == 5
    mean = Fraction(sum(p * d for d, p in probs.items()))
    variance = sum(p * d * d for d, p in probs.items())
    assert abs(mean) < Fraction(1, 10**8)
    assert abs(float(variance) - 6.0) < 0.01
    # Every cell key maps to the noise of its cumulative interval.
    assert DEFAULT_PTABLE.noise(0) == -5 and DEFAULT_PTABLE.noise(KEY_MODULUS - 1) == 5


def test_noise_of_random_sets_is_unbiased() -> None:
    """The noise actually drawn by random sets of people: mean near 0, never beyond D."""
    rng = np.random.default_rng(7)
    units = np.array([CK.record_key(f"p{i}") for i in range(50_000)], dtype=np.uint64)
    assert abs(units.mean() / KEY_MODULUS - 0.5) < 0.01  # record keys look uniform
    noise = []
    for _ in range(20_000):
        members = rng.choice(len(units), size=int(rng.integers(11, 400)), replace=False)
        key = int(units[members].sum()) % KEY_MODULUS
        noise.append(DEFAULT_PTABLE.noise(key))
    arr = np.array(noise)
    assert np.abs(arr).max() <= 5
    assert abs(arr.mean()) < 4 * np.sqrt(6 / len(arr))  # 4 standard errors around 0
    assert abs(arr.var() - 6) < 0.3


def difference_attack(ck: CellKey, trials_per_k: int, seed: int = 11) -> Counter[tuple[int, int | None]]:
    """Release A and B = A + k people (k = 1..10) for random A; count (k, released B - A)."""
    rng = np.random.default_rng(seed)
    population = 30_000
    units = np.array([ck.record_key(f"p{i}") for i in range(population)], dtype=np.int64)
    seen: Counter[tuple[int, int | None]] = Counter()
    for k in range(1, 11):
        for _ in range(trials_per_k):
            n = int(rng.integers(11, 500))
            members = rng.choice(population, size=n + k, replace=False)
            a = ck.release_sum(n, int(units[members[:n]].sum()))
            b = ck.release_sum(n + k, int(units[members].sum()))
            diff = None if a.value is None or b.value is None else b.value - a.value
            seen[(k, diff)] += 1
    return seen


def exact_match_probability(ck: CellKey, k: int) -> float:
    """P(released(n + k) - released(n) == k) for independent cell keys, worst residue of n."""
    probs = {d: float(p) for d, p in ck.ptable.probabilities().items()}
    worst = 0.0
    for n in range(1000, 1000 + ck.base):
        dist_a: Counter[int] = Counter()
        dist_b: Counter[int] = Counter()
        for d, p in probs.items():
            dist_a[round_to_base(n + d, ck.base)] += p  # type: ignore[assignment]
            dist_b[round_to_base(n + k + d, ck.base)] += p  # type: ignore[assignment]
        worst = max(worst, sum(pa * dist_b[a + k] for a, pa in dist_a.items()))
    return worst


def best_guess_rate(seen: Counter[tuple[int, int | None]]) -> float:
    """How often an attacker who knows the joint law of (k, difference) guesses k right."""
    by_diff: dict[int | None, Counter[int]] = {}
    for (k, diff), n in seen.items():
        by_diff.setdefault(diff, Counter())[k] += n
    return sum(max(c.values()) for c in by_diff.values()) / sum(seen.values())


def test_differences_of_overlapping_queries_do_not_reveal_small_groups() -> None:
    trials = 2_000
    seen = difference_attack(CK, trials)
    for k in range(1, 11):
        matches = seen[(k, k)] / trials
        bound = exact_match_probability(CK, k)
        # Released values are multiples of 5, so only k = 5 and 10 can ever match, and then at
        # most ~half the time (the chance that two independent noises round alike).
        assert bound <= 0.5 and (bound == 0 or k % 5 == 0)
        assert matches <= bound + 4 * np.sqrt(0.25 / trials), (k, matches, bound)
    # Knowing the exact law of the difference, the best guess of k in 1..10 is right in about 1
    # pair out of 5 (1 in 10 by chance). Without noise, rounding alone does better for him.
    guess = best_guess_rate(seen)
    assert 0.12 < guess < 0.23, guess
    unperturbed = best_guess_rate(difference_attack(CellKey(SECRET, ptable=PerturbationTable({0: 1})),
                                                    trials))
    assert unperturbed > guess + 0.05, (unperturbed, guess)


def test_new_secret_new_noise() -> None:
    other = CellKey(bytes(range(1, 33)))
    people = [f"p{i}" for i in range(300)]
    assert CK.record_key("p1") != other.record_key("p1")
    keys = [CellKey(bytes([i]) * 32).cell_key(people) for i in range(20)]
    assert len(set(keys)) == 20


@pytest.mark.parametrize("secret", [b"short", b"x" * 65, "text" * 10])
def test_cell_key_refuses_bad_secrets(secret: object) -> None:
    with pytest.raises(SdcError):
        CellKey(secret)  # type: ignore[arg-type]


def test_secret_never_shown() -> None:
    assert SECRET.hex() not in repr(CK) and str(SECRET) not in repr(CK)


def test_from_master_secret() -> None:
    from hygie.pseudo.keys import Secret

    master = Secret(bytes(range(64)))
    ck = CellKey.from_secret(master)
    assert ck.record_key("p") == CellKey(master.derive("sdc:cell-key")).record_key("p")
    assert ck.record_key("p") != CellKey(master.project_key("sdc:cell-key")).record_key("p")


def people_table(n: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    pids = [f"P{rng.randrange(10**9):09d}" for _ in range(n)]
    events = pids + rng.choices(pids, k=n // 2) + [None]  # several events per person, a null
    return pa.table({"pid": events, "x": list(range(len(events)))})


def test_engine_computes_the_same_cell_key(engine: object) -> None:
    """Counts and key sums computed in SQL (DuckDB and Spark) equal the Python ones."""
    from hygie.engine.engines import Engine

    assert isinstance(engine, Engine)
    table = people_table(250, seed=1)
    engine.register_arrow("sdc_events", table)
    rows = list(zip(table.column("pid").to_pylist(), table.column("x").to_pylist(), strict=True))
    # Groups of people with several events each; null identifiers are not people.
    query = CK.query(engine, "SELECT pid, x % 3 AS g FROM sdc_events", "pid", by=["g"])
    got = {r["g"]: (r["n"], r["key_sum"]) for r in engine.arrow(query).to_pylist()}
    for g in range(3):
        people = {p for p, x in rows if p is not None and x % 3 == g}
        assert got[g] == (len(people), sum(CK.record_key(p) for p in people) % KEY_MODULUS)
        assert CK.release_sum(*got[g]) == CK.count(people)
    everybody = {p for p, _ in rows if p is not None}
    assert CK.release_query(engine, "SELECT pid FROM sdc_events", "pid") == CK.count(everybody)
    nobody = engine.arrow(CK.query(engine, "SELECT pid FROM sdc_events WHERE FALSE", "pid"))
    assert nobody.to_pylist() == [{"n": 0, "key_sum": 0}]
