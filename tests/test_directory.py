"""Finding a person from identity details: the NIR's checks, and the synthetic stand-in for the
CNAM's step (`LakeDirectory`) on the shared synthetic SNDS."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hygie.pseudo.directory import (
    Identity,
    IdentityError,
    LakeDirectory,
    Match,
    nir_key,
    normalise_nir,
    synthetic_nir,
    with_key,
)

D = dt.date


# --- the NIR -------------------------------------------------------------------------------------

def test_the_key_of_a_published_example():
    # "2 55 08 14 168 025 38": the example of the French Wikipedia's article on the NIR.
    assert nir_key("2550814168025") == 38
    assert Identity.parse("2 55 08 14 168 025 38", D(1955, 8, 3), 2).nir == "255081416802538"


def test_corsica_counts_as_19_and_18_in_the_key():
    assert nir_key("255082A168025") == 97 - 2550819168025 % 97
    assert nir_key("255082B168025") == 97 - 2550818168025 % 97
    Identity(with_key("255082A168025"), D(1955, 8, 3), 2)  # valid as it is


@pytest.mark.parametrize(("nir", "birth", "sex", "code"), [
    ("25508141680253", D(1955, 8, 3), 2, "nir_format"),  # one digit short
    ("2550814168025381", D(1955, 8, 3), 2, "nir_format"),
    ("555081416802538", D(1955, 8, 3), 2, "nir_format"),  # no such sex digit
    ("255081416802539"[:13] + "39", D(1955, 8, 3), 2, "nir_key"),
    ("255081416802538", D(1955, 8, 3), 1, "nir_sex"),
    ("255081416802538", D(1956, 8, 3), 2, "nir_year"),
    ("255081416802538", D(1955, 9, 3), 2, "nir_month"),
    ("255081416802538", D(1955, 8, 3), 3, "sex"),
])
def test_inconsistent_details_are_refused_with_the_reason(nir, birth, sex, code):
    with pytest.raises(IdentityError) as refused:
        Identity(nir, birth, sex)
    assert refused.value.code == code


def test_an_unknown_birth_month_code_agrees_with_any_month():
    nir = with_key("2559914168025")
    assert Identity(nir, D(1955, 2, 1), 2).nir == nir
    with pytest.raises(IdentityError):
        Identity(with_key("2551314168025"), D(1955, 2, 1), 2)  # 13 is neither


def test_names_are_bounded():
    with pytest.raises(IdentityError):
        Identity.parse("255081416802538", D(1955, 8, 3), 2, "x" * 101)
    assert Identity.parse("255081416802538", D(1955, 8, 3), 2, "  Dupont ").family_name == "Dupont"


def test_typed_separators_are_removed():
    assert normalise_nir(" 2.55-08 14 168\t025 38 ") == "255081416802538"
    assert normalise_nir("2 55 08 2a 168 025") == "255082A168025"


BODIES = st.builds(lambda sex, rest: f"{sex}{rest:012d}", st.sampled_from("12"),
                   st.integers(0, 10**12 - 1))


@settings(max_examples=300)
@given(body=BODIES, position=st.integers(0, 14), digit=st.integers(0, 9))
def test_the_key_catches_every_single_digit_error(body, position, digit):
    """Whatever the number, its key makes (number + key) a multiple of 97, so that one mistyped
    digit never gives another valid NIR."""
    nir = with_key(body)
    assert (int(body) + int(nir[13:])) % 97 == 0 and 1 <= int(nir[13:]) <= 97
    typo = nir[:position] + str(digit) + nir[position + 1:]
    if typo != nir:
        assert nir_key(typo[:13]) != int(typo[13:])


@settings(max_examples=300)
@given(body=BODIES, position=st.integers(0, 13))
def test_the_key_catches_swapped_neighbours(body, position):
    nir = with_key(body)
    swapped = nir[:position] + nir[position + 1] + nir[position] + nir[position + 2:]
    if swapped != nir:
        assert nir_key(swapped[:13]) != int(swapped[13:])


# --- the synthetic directory ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def people(snds):
    return snds.arrow("IR_BEN_R").to_pylist()


def identity_of(row, day: int = 15) -> Identity:
    return Identity(synthetic_nir(row), D(row["BEN_NAI_ANN"], int(row["BEN_NAI_MOI"]), day),
                    row["BEN_SEX_COD"])


def test_every_synthetic_nir_is_valid_and_consistent(people):
    nirs = [synthetic_nir(row) for row in people]
    for row, nir in zip(people, nirs, strict=True):
        identity_of(row)  # raises if the key, sex, year or month disagree
        assert nir[5:7] == {"02A": "2A", "02B": "2B"}.get(row["BEN_RES_DPT"],
                                                         row["BEN_RES_DPT"][1:3]
                                                         if row["BEN_RES_DPT"][0] == "0" else "97")
    # One NIR per row, almost always different across rows.
    assert len(set(nirs)) >= len(nirs) - 2


def test_the_directory_finds_each_sampled_person_by_their_nir(snds, people):
    directory = LakeDirectory(snds)
    for row in people[::40]:
        found = directory.find(identity_of(row))
        exact = [m for m in found if m.exact]
        assert [m.person_key for m in exact] == [row["BEN_NIR_ANO"]]
        assert set(exact[0].matched) == {"nir", "sex", "birth_year", "birth_month",
                                         "department", "order"}


def test_twins_are_two_people_and_a_changed_pseudo_nir_is_one(snds, people):
    directory = LakeDirectory(snds)
    by_psa: dict[str, list[dict]] = {}
    by_person: dict[str, list[dict]] = {}
    for row in people:
        by_psa.setdefault(row["BEN_NIR_PSA"], []).append(row)
        by_person.setdefault(row["BEN_NIR_ANO"], []).append(row)
    twins = next(rows for rows in by_psa.values() if len(rows) == 2)
    found = [directory.find(identity_of(t)) for t in twins]
    assert [[m.person_key for m in f if m.exact] for f in found] == [
        [t["BEN_NIR_ANO"]] for t in twins]
    assert twins[0]["BEN_NIR_ANO"] != twins[1]["BEN_NIR_ANO"]
    changed = next(rows for rows in by_person.values() if len(rows) == 2)
    keys = {m.person_key for row in changed for m in directory.find(identity_of(row)) if m.exact}
    assert keys == {changed[0]["BEN_NIR_ANO"]}


def test_near_and_wrong_details(snds, people):
    directory = LakeDirectory(snds)
    row = next(r for r in people if r["BEN_RES_DPT"] not in ("059", "971", "972", "974", "976"))
    right = identity_of(row, day=1)
    # Another department: the same person, the NIR not matched (someone must judge).
    moved = Identity(with_key(right.nir[:5] + "59" + right.nir[7:13]), right.birth_date, right.sex)
    assert directory.find(moved) == [Match(row["BEN_NIR_ANO"], ("sex", "birth_year",
                                                                "birth_month", "order"))]
    # An unknown-month code: found, but not as the whole NIR.
    unknown = Identity(with_key(right.nir[:3] + "99" + right.nir[5:13]), right.birth_date,
                       right.sex)
    assert [m.exact for m in directory.find(unknown)] == [False]
    # Other order digits, or another birth month: nobody.
    other = f"{(int(right.order) + 1) % 1_000_000:06d}"
    assert directory.find(Identity(with_key(right.nir[:7] + other), right.birth_date,
                                   right.sex)) == []
    month = right.birth_date.month % 12 + 1
    shifted = right.birth_date.replace(month=month, day=1)
    assert directory.find(Identity(with_key(f"{right.nir[:3]}{month:02d}{right.nir[5:13]}"),
                                   shifted, right.sex)) == []
