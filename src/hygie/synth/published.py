"""Published French figures the synthetic SNDS is judged against, each with its source.

A Python module rather than a CSV: rows are typed and checked by mypy, need no parser nor package
data, and a changed figure shows as a one-line diff next to its provenance. Nothing here drives
the generator: `realism.py` measures the data and compares it with these rows.

`provenance` says how far each figure was checked: "verified" ones were read in the publisher's
release (or a press account quoting it) while writing this table; "as quoted" ones are the
figures the authors of issue 11 found, kept as they gave them. Addresses are the publisher's
site root unless the exact page was seen; no deep link is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a value in each unit is, as a multiple of a plain share or rate per person(-year).
UNIT_SCALE: dict[str, float] = {
    "%": 100.0, "per 1,000": 1_000.0, "per 100,000": 100_000.0, "per person-year": 1.0,
}

INSEE = ("Insee", "https://www.insee.fr/")
AMELI = ("Assurance Maladie (Cnam)", "https://www.ameli.fr/")
SPF = ("Santé publique France", "https://www.santepubliquefrance.fr/")
DREES = ("DREES", "https://drees.solidarites-sante.gouv.fr/")
ATIH = ("ATIH", "https://www.atih.sante.fr/")
INCA = ("Institut national du cancer", "https://www.e-cancer.fr/")
ABM = ("Agence de la biomédecine (registre REIN)", "https://www.agence-biomedecine.fr/")


@dataclass(frozen=True)
class Published:
    key: str  # the measure of realism.py this figure is compared with
    label: str
    value: float  # in `unit`
    unit: str  # a key of UNIT_SCALE
    population: str  # who the figure is about
    source: str  # title of the publication
    publisher: str
    year: int  # the year the figure describes
    address: str
    provenance: str  # "verified: ..." or "as quoted in issue 11"
    note: str = ""  # range, derivation, what differs from what we measure
    tolerance: float = 0.20  # accepted relative gap of the synthetic value
    # What the figure describes, so which side it judges: "both"; "claims" for counts of people
    # cared for (a cartographie figure is what claims show, below the true prevalence).
    judges: str = "both"

    @property
    def share(self) -> float:
        """The value as a plain share or rate per person(-year)."""
        return self.value / UNIT_SCALE[self.unit]


def _insee_year(key: str, label: str, year: int, value: float, counts: str) -> Published:
    return Published(key, label, value, "per 1,000", "all, mean population of the year",
                     f"Bilan démographique {year}", INSEE[0], year, INSEE[1],
                     "verified: counts of the bilan démographique (provisional, as first "
                     "published)", f"{counts}; rate = count / mean population, rounded")


PUBLISHED: tuple[Published, ...] = (
    Published("drug_boxes", "Reimbursed drug boxes per person-year", 41, "per person-year",
              "all", "Médicaments remboursés : nombre de boîtes", AMELI[0], 2023, AMELI[1],
              "as quoted in issue 11"),
    Published("mco_stays", "MCO stays per 1,000 inhabitants per year (sessions, GHM CMD 28, "
              "excluded)", 278, "per 1,000", "all", "Analyse de l'activité hospitalière 2022",
              ATIH[0], 2022, ATIH[1], "as quoted in issue 11",
              "18.9 million stays in 2022 over about 68 million inhabitants"),
    Published("hospitalised", "People with at least one MCO stay in the year (sessions "
              "excluded)", 16.5, "%", "all", "Les établissements de santé; activité MCO",
              "DREES, ATIH", 2020, DREES[1], "as quoted in issue 11",
              "published range 15-18% (DREES 2020, ATIH 2015); the middle is used"),
    Published("heart_failure", "Heart failure, people of 18 or more", 2.6, "%",
              "adults 18+", "Insuffisance cardiaque : données", SPF[0], 2022, SPF[1],
              "as quoted in issue 11"),
    Published("ischaemic_heart_disease", "Ischaemic heart disease, people of 18 or more", 5.6,
              "%", "adults 18+", "Cardiopathie ischémique : données", SPF[0], 2023, SPF[1],
              "as quoted in issue 11", "prevalence on 1 January 2023"),
    Published("stroke", "Stroke (history of), people of 18 or more", 2.05, "%", "adults 18+",
              "Accident vasculaire cérébral : données", SPF[0], 2022, SPF[1],
              "as quoted in issue 11"),
    Published("stroke_hospitalised", "People hospitalised for stroke per 100,000 per year",
              231, "per 100,000", "adults 18+", "Accident vasculaire cérébral : données",
              SPF[0], 2022, SPF[1], "as quoted in issue 11",
              "about 122,000 patients a year over about 53 million adults; the synthetic "
              "truth has first strokes only (no recurrences)"),
    Published("ald", "People with an active ALD (long-term illness) in the year", 18, "%",
              "all", "Affections de longue durée : effectifs", AMELI[0], 2021, AMELI[1],
              "as quoted in issue 11",
              "Assurance Maladie gave 17% of régime général beneficiaries for 2016"),
    Published("diabetics_with_ald", "Drug-treated diabetics with an ALD for diabetes", 82, "%",
              "drug-treated diabetics", "ALD des personnes diabétiques traitées", AMELI[0],
              2021, AMELI[1], "as quoted in issue 11 (year not stated there)"),
    Published("diabetes", "People cared for diabetes (cartographie des pathologies)", 6.0,
              "%", "all", "Rapport Charges et produits pour 2022 (cartographie des pathologies "
              "2019)", AMELI[0], 2019, AMELI[1],
              "verified: 3,964,561 régime général beneficiaries at least diabetic, 6%",
              "cartographie: antidiabetic drugs, ALD or hospital stay for diabetes",
              judges="claims"),
    Published("dementia", "People cared for dementia, Alzheimer's disease included "
              "(cartographie des pathologies)", 1.06, "%", "all",
              "Cartographie des pathologies et des dépenses 2016", AMELI[0], 2016, AMELI[1],
              "verified: 603,200 patients among the 57 million beneficiaries of the "
              "régime général", "603,200 / 57 million, rounded", judges="claims"),
    Published("dialysis", "People on dialysis", 0.075, "%", "all",
              "Rapport annuel REIN 2022", ABM[0], 2022, ABM[1],
              "verified in part: 93,084 people on dialysis or with a kidney graft at the end "
              "of 2022", "dialysis is a little over half of them (about 51,000), hence 0.075%"),
    Published("breast_cancer_incidence", "New breast cancers per 100,000 women per year", 180,
              "per 100,000", "women", "Les chiffres du cancer en France : cancer du sein",
              INCA[0], 2023, INCA[1],
              "verified: 61,214 new cases in metropolitan France in 2023 (INCa, Santé "
              "publique France)", "61,214 over about 34 million women of metropolitan France"),
    Published("gp_visits", "GP consultations, teleconsultations and visits per inhabitant "
              "per year", 3.3, "per person-year", "all",
              "Accessibilité potentielle localisée (APL) aux médecins généralistes 2022",
              DREES[0], 2022, DREES[1],
              "verified: 3.3 in 2022 (3.4 in 2021, 3.8 in 2015), DREES release of "
              "November 2023"),
    Published("deaths_in_hospital", "Deaths in hospital (MCO stay ending with death)", 53, "%",
              "deaths of the year", "Lieux de décès en 2018", INSEE[0], 2018, INSEE[1],
              "verified: 53% of 2018 deaths in a hospital or clinic (24% at home, 13% in a "
              "nursing home, 9% place not stated)",
              "Insee counts every hospital ward; an MCO stay ending with death (SOR_MOD 9) "
              "misses deaths in follow-up, psychiatric and long-term care, so the claims "
              "share should sit a little below"),
    _insee_year("birth_rate", "Births per 1,000 inhabitants", 2019, 11.2,
                "753,000 births, about 67.1 million inhabitants"),
    _insee_year("birth_rate", "Births per 1,000 inhabitants", 2020, 11.0,
                "740,000 births (later revised to about 735,000), about 67.3 million"),
    _insee_year("birth_rate", "Births per 1,000 inhabitants", 2021, 11.0,
                "742,100 births, about 67.6 million inhabitants"),
    _insee_year("birth_rate", "Births per 1,000 inhabitants", 2022, 10.6,
                "723,000 births, about 67.9 million inhabitants"),
    _insee_year("birth_rate", "Births per 1,000 inhabitants", 2023, 9.9,
                "678,000 births, about 68.2 million inhabitants"),
    _insee_year("death_rate", "Deaths per 1,000 inhabitants", 2019, 9.1,
                "612,000 deaths, about 67.1 million inhabitants"),
    _insee_year("death_rate", "Deaths per 1,000 inhabitants", 2020, 9.9,
                "667,000 deaths (état civil, January 2021), about 67.3 million inhabitants"),
    _insee_year("death_rate", "Deaths per 1,000 inhabitants", 2021, 9.8,
                "661,600 deaths, about 67.6 million inhabitants"),
    _insee_year("death_rate", "Deaths per 1,000 inhabitants", 2022, 9.8,
                "667,000 deaths, about 67.9 million inhabitants"),
    _insee_year("death_rate", "Deaths per 1,000 inhabitants", 2023, 9.3,
                "631,000 deaths, about 68.2 million inhabitants"),
)


def figure(key: str, year: int | None = None) -> Published | None:
    """The published figure for a measure (of a given year for yearly ones), if any."""
    rows = [p for p in PUBLISHED if p.key == key]
    if len(rows) > 1:
        rows = [p for p in rows if p.year == year]
    return rows[0] if rows else None
