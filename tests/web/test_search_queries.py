"""Ten common searches in each language find what a person looking for them needs, on the first
page of hits.

The expected entries were chosen from the nomenclatures and the SNDS schemas by meaning, not read
off the engine's answers: the CIM-10 category of the condition (a 3-character code, in IR_CIM_V,
the list of the long-term conditions (ALD) and of the causes of death, and in MS_CIM_V, the list of
the PMSI diagnoses), the ALD list's entry for it, and the tables and variables that describe it.

"First page" means: codes among the first page of code hits (`kind=code`, 20 rows; a code found
in several lists is one hit naming them all), tables and variables among the first page of their
kind, and variables coded with the matching codes' lists in the overview's code-list panel (how
a disease leads to the diagnosis variables).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

ALD = "IR_IMB_R.MED_MTF_COD"  # the long-term condition's diagnosis (CIM-10, IR_CIM_V)
ALD_NUMBER = "IR_IMB_R.IMB_ALD_NUM"  # the long-term condition's number (IR_ALD_V)
PMSI_MAIN = "T_MCOaaB.DGN_PAL"  # PMSI MCO main diagnosis (CIM-10, MS_CIM_V)
PMSI_ASSOCIATED = "T_MCOaaD.ASS_DGN"  # PMSI MCO associated diagnoses (MS_CIM_V)


@dataclass(frozen=True)
class Expected:
    codes: tuple[tuple[str, str], ...] = ()  # (code list, code)
    tables: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()  # hits of kind variable, TABLE.NAME
    coded: tuple[str, ...] = ()  # variables coded with a matching list (overview panel)


def cim10(*codes: str) -> tuple[tuple[str, str], ...]:
    return tuple((lst, c) for c in codes for lst in ("IR_CIM_V", "MS_CIM_V"))


DIABETES = Expected(codes=cim10("E10", "E11", "E12", "E13", "E14"),
                    coded=(ALD, PMSI_MAIN, PMSI_ASSOCIATED))
STAYS = Expected(tables=("T_MCOaaB", "T_SSRaaB"))  # "Description du Séjour", MCO and SSR
DRUGS = Expected(tables=("T_MCOaaMED", "T_MCOaaMEDATU"),  # drugs billed on top of the stay
                 variables=("ER_PHA_F.PHA_ACT_PRU",))  # unit price of the dispensed drug
DEATHS = Expected(codes=(("IR_CIM_V", "R98"),),  # "Décès sans témoin"
                  tables=("KI_CCI_R", "KI_ECD_R"),  # causes of death (CépiDc)
                  # month of death in the beneficiaries' referential; initial cause of death
                  variables=("IR_BEN_R.BEN_DCD_AME", "KI_CCI_R.DCD_CIM_COD"))
STROKE = Expected(codes=(*cim10("I64"), ("IR_ALD_V", "1")),  # ALD 1: AVC invalidant
                  coded=(ALD_NUMBER, PMSI_MAIN))
BREAST_CANCER = Expected(codes=cim10("C50"), coded=(ALD, PMSI_MAIN))
DIALYSIS = Expected(codes=(("IR_CIM_V", "Z49"), ("IR_CIM_V", "Z491"), ("IR_CIM_V", "Z992")),
                    tables=("T_MCOaaDIALP",),  # peritoneal dialysis billed on top of the stay
                    variables=("T_MCOaaB.DLY_ACT",))  # "Forfait dialyse"
PREGNANCY = Expected(codes=cim10("O00"),  # "Grossesse extra-utérine"
                     variables=("IR_MAT_R.BEN_GRS_DTE", "ER_PRS_F.PRS_GRS_DTD"),
                     coded=(PMSI_MAIN,))
HEART_FAILURE = Expected(codes=(*cim10("I50"), ("IR_ALD_V", "5")),  # ALD 5
                         coded=(ALD, PMSI_MAIN))
AGE = Expected(variables=("T_MCOaaB.AGE_ANN", "T_SSRaaB.AGE_ANN", "CT_IND_AAAA_GN.age"))

QUERIES = {
    # French
    "diabète": DIABETES, "hospitalisation": STAYS, "médicament": DRUGS, "décès": DEATHS,
    "AVC": STROKE, "cancer du sein": BREAST_CANCER, "dialyse": DIALYSIS,
    "grossesse": PREGNANCY, "insuffisance cardiaque": HEART_FAILURE, "âge": AGE,
    # English
    "diabetes": DIABETES, "hospitalization": STAYS, "drug": DRUGS, "death": DEATHS,
    "stroke": STROKE, "breast cancer": BREAST_CANCER, "dialysis": DIALYSIS,
    "pregnancy": PREGNANCY, "heart failure": HEART_FAILURE, "age": AGE,
}


def api(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/api/catalogue/search", params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def first_codes(client: Any, q: str) -> set[tuple[str, str]]:
    out = set()
    for h in api(client, q=q, kind="code")["results"]:
        for lst in (h["nomenclature"], *h["also_in"]):
            out.add((lst["label"], h["name"]))
    return out


@pytest.mark.parametrize("q", list(QUERIES))
def test_a_common_search_finds_its_entries_on_the_first_page(client, q):
    expected = QUERIES[q]
    if expected.codes:
        assert set(expected.codes) <= first_codes(client, q)
    if expected.tables:
        names = {h["name"] for h in api(client, q=q, kind="table")["results"]}
        assert set(expected.tables) <= names
    if expected.variables:
        names = {label for h in api(client, q=q, kind="variable")["results"]
                 for label in (f"{h['table']}.{h['name']}", *(a["label"] for a in h["also_in"]))}
        assert set(expected.variables) <= names
    if expected.coded:
        overview = api(client, q=q)
        coded = {u["label"] for lst in overview["code_lists"] for u in lst["used_by"]}
        assert set(expected.coded) <= coded


def test_the_overview_shows_the_diabetes_categories_and_the_diagnosis_variables(client):
    """The page a search opens on: E10-E14 in the codes' preview, each once with its lists."""
    data = api(client, q="diabète")
    codes = [h for h in data["results"] if h["kind"] == "code"]
    assert [h["name"] for h in codes] == ["E10", "E11", "E12", "E13", "E14"]
    for h in codes:
        assert {h["nomenclature"]["label"], *(a["label"] for a in h["also_in"])} >= {
            "IR_CIM_V", "MS_CIM_V"}
    lists = [c["name"] for c in data["code_lists"]]
    assert {"IR_CIM_V", "MS_CIM_V"} <= set(lists[:2])


def test_whole_words_and_categories_rank_over_partial_matches(client):
    hits = api(client, q="diabète", kind="code")["results"]
    names = [h["name"] for h in hits]
    # "121 DIABETOLOGIE" (a specialty) matches only as the start of a longer word.
    assert "121" not in names
    assert all("diab" in h["title"].lower() for h in hits)
    # A category before its subdivisions, in code order.
    assert names[:5] == ["E10", "E11", "E12", "E13", "E14"]
    lengths = [len(n) for n in names]
    assert lengths == sorted(lengths) and "E101" in names  # E10, E11... then E100, E101...
    # The code typed in full comes first, then the codes under it.
    by_code = [h["name"] for h in api(client, q="e11", kind="code")["results"]]
    assert by_code[0] == "E11" and "E110" in by_code
    assert max(i for i, n in enumerate(by_code) if n == "E11") < by_code.index("E110")


def test_both_spellings_give_the_same_hits(client):
    for french, english in (("diabète", "diabetes"), ("décès", "death"),
                            ("insuffisance cardiaque", "heart failure"), ("AVC", "stroke")):
        fr, en = api(client, q=french), api(client, q=english)
        assert fr["total"] == en["total"] > 0
        assert [c["name"] for c in fr["code_lists"]] == [c["name"] for c in en["code_lists"]]
