"""Medical and demographic facts that drive the synthetic SNDS, each with its source.

Figures are public French figures, rounded (the source of each is named beside it: title,
publisher, year, address); codes are real codes of the packaged nomenclatures (CIM-10, CCAM V63,
NABM, ATC, SNDS code lists), which a test checks. Prevalence curves give the share of people of an
age and sex who have the condition; the generator sets them at the start of the period and draws
incidence after it so that they stay stable year to year. Care rates are per person-year.
Where no published figure was at hand, the value is marked as an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- population -------------------------------------------------------------------------------

# Population of France on 1 January 2023 by 5-year age band (thousands) and male share of the band:
# "Estimations de population", Insee, 2023, rounded (https://www.insee.fr/fr/statistiques).
AGE_BANDS: tuple[tuple[int, float, float], ...] = (
    (0, 3500, 0.512), (5, 3900, 0.512), (10, 4200, 0.512), (15, 4200, 0.511),
    (20, 3900, 0.505), (25, 3700, 0.495), (30, 4000, 0.490), (35, 4300, 0.490),
    (40, 4200, 0.495), (45, 4300, 0.495), (50, 4400, 0.490), (55, 4400, 0.485),
    (60, 4200, 0.475), (65, 3900, 0.470), (70, 3700, 0.460), (75, 2800, 0.440),
    (80, 2000, 0.410), (85, 1400, 0.360), (90, 700, 0.290), (95, 250, 0.200),
)

# Population by region code of the SNDS geography (GEO_REG_COD), millions, 2023 ("Estimations de
# population", Insee); people are spread evenly over the departments of their region.
REGION_POPULATION: dict[str, float] = {
    "11": 12.3, "84": 8.1, "32": 6.0, "75": 6.0, "76": 6.0, "44": 5.6, "93": 5.1, "52": 3.9,
    "53": 3.4, "28": 3.3, "27": 2.8, "24": 2.6, "94": 0.35, "1": 0.38, "2": 0.36, "3": 0.29,
    "4": 0.87, "6": 0.30,
}

# Annual probability of death (per 1,000) by age band and sex, France: "Tables de mortalite par
# sexe, age et niveau de vie" / "Bilan demographique", Insee, 2017-2019 tables, rounded
# (https://www.insee.fr/fr/statistiques). Band 0 is the first year of life, band 1 ages 1-4.
MORTALITY: tuple[tuple[int, float, float], ...] = (
    (0, 3.9, 3.3), (1, 0.20, 0.15), (5, 0.10, 0.08), (10, 0.12, 0.09), (15, 0.35, 0.15),
    (20, 0.65, 0.22), (25, 0.75, 0.27), (30, 0.90, 0.37), (35, 1.25, 0.60), (40, 1.85, 0.95),
    (45, 2.9, 1.6), (50, 4.5, 2.5), (55, 7.0, 3.6), (60, 10.5, 5.0), (65, 14.5, 7.0),
    (70, 21.0, 11.0), (75, 33.0, 19.0), (80, 56.0, 35.0), (85, 100.0, 68.0), (90, 180.0, 135.0),
    (95, 300.0, 250.0), (100, 450.0, 400.0),
)
# Mortality of each year against 2019, age-standardised: deaths 613,000 (2019), 669,000 (2020,
# Covid-19), 661,000 (2021), 675,000 (2022), 639,000 (2023) in their revised counts, divided by
# the 1.5 % a year that ageing adds ("Bilan demographique 2023", Insee, 2024, https://www.insee.fr/fr/statistiques).
# Earlier and later years follow the long-run decline of about 1.5 % a year.
MORTALITY_YEAR: dict[int, float] = {2019: 1.0, 2020: 1.075, 2021: 1.047, 2022: 1.054,
                                    2023: 0.983}
MORTALITY_TREND = 0.985

# Births per woman per year by the mother's age band: "Statistiques de l'etat civil sur les
# naissances", Insee, 2019 (total fertility 1.86), rounded (https://www.insee.fr/fr/statistiques).
FERTILITY: tuple[tuple[int, float], ...] = (
    (0, 0.0), (15, 0.008), (20, 0.048), (25, 0.112), (30, 0.134), (35, 0.074), (40, 0.018),
    (45, 0.001), (50, 0.0),
)
# Total fertility against 2019 (1.86): 1.83 (2020), 1.83 (2021), 1.79 (2022), 1.66 (2023),
# "Bilan demographique 2023", Insee, 2024; 1.87 on average in 2014-2018.
FERTILITY_YEAR: dict[int, float] = {2019: 1.0, 2020: 0.984, 2021: 0.984, 2022: 0.962,
                                    2023: 0.892}
MALE_BIRTH_SHARE = 0.512  # 105 boys for 100 girls (Insee, etat civil)
# People who join the French health insurance each year (arrivals from abroad), share of the
# population, mostly young adults: net migration +0.1 to +0.2 % a year ("Bilan demographique",
# Insee), gross arrivals about twice that (assumption).
ARRIVAL_RATE = 0.003
ARRIVAL_AGES: tuple[tuple[int, int, float], ...] = ((0, 18, 0.2), (18, 40, 0.65), (40, 70, 0.15))
# Share of deaths that happen during an MCO hospital stay: 53 % of deaths in a hospital or clinic
# in 2019 (Insee, "Lieux de deces", etat civil, https://www.insee.fr/fr/statistiques), a few of
# them in long-term or rehabilitation care (assumption: 50 % in MCO), fewer at very old ages
# (nursing homes).
DEATH_IN_HOSPITAL: tuple[tuple[int, float], ...] = ((0, 0.55), (80, 0.5), (90, 0.4))

TWIN_SHARE = 0.017  # share of children born as twins (shared pseudo-NIR under the parent's NIR)
NIR_CHANGE_SHARE = 0.02  # people whose pseudo-NIR changes during the period (BEN_NIR_ANO links them)

# Common French first names by sex and surnames (truth only: synthetic civil identities).
FIRST_NAMES = {
    1: ("JEAN", "PIERRE", "MICHEL", "ANDRE", "PHILIPPE", "NICOLAS", "ALAIN", "JACQUES", "BERNARD",
        "CHRISTOPHE", "LOUIS", "PAUL", "LUCAS", "HUGO", "THOMAS", "JULIEN", "DAVID", "ERIC",
        "FRANCOIS", "LAURENT", "GABRIEL", "ARTHUR", "LEO", "RAPHAEL", "DANIEL", "PATRICK",
        "MOHAMED", "ALEXANDRE", "ANTOINE", "MAXIME"),
    2: ("MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "FRANCOISE", "MONIQUE", "CHRISTINE",
        "SANDRINE", "VALERIE", "JULIE", "CAMILLE", "EMMA", "JADE", "LOUISE", "ALICE", "CHLOE",
        "LEA", "MANON", "SOPHIE", "NICOLE", "JEANNE", "ANNE", "CELINE", "AURELIE", "STEPHANIE",
        "FATIMA", "LAURA", "SARAH", "ELISE"),
}
SURNAMES = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
    "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
    "MULLER", "LEFEVRE", "FAURE", "ANDRE", "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER",
    "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLEMENT",
    "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON", "MARCHAND", "DUVAL",
    "DENIS", "DUMONT", "MARIE", "LEMAIRE", "NOEL", "MEYER", "DUFOUR", "MEUNIER", "BRUN", "BLANCHARD",
    "GIRAUD", "JOLY", "RIVIERE", "LUCAS", "BRUNET", "GAILLARD", "BARBIER", "ARNAUD", "MARTINEZ",
    "GERARD", "ROCHE", "RENARD", "SCHMITT", "ROY", "LEROUX", "COLIN", "VIDAL", "CARON", "PICARD",
    "ROGER", "FABRE", "AUBERT", "LEMOINE", "RENAUD", "DUMAS", "LACROIX", "OLIVIER", "PHILIPPE",
    "BOURGEOIS", "PIERRE", "BENOIT", "REY", "LECLERC", "PAYET", "ROLLAND", "LECLERCQ", "GUILLAUME",
    "LECOMTE",
)

# --- drugs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drug:
    """One reimbursed presentation. ATC classes and substances are real; the CIP7/CIP13 codes are
    synthetic (the CIP13 -> ATC referential IR_PHA_R is not public here), built as the real codes
    are: CIP13 = 34009 + CIP7 + EAN-13 check digit."""

    key: str
    atc: str
    substance: str
    presentation: str
    days_per_box: int
    rate: int  # reimbursement rate, percent (drives the nature of benefit, 65% -> 3313)
    price: float  # euros per box


DRUGS: tuple[Drug, ...] = (
    Drug("metformin", "A10BA02", "metformine", "1000 mg cp, boite de 90", 30, 65, 6.1),
    Drug("gliclazide", "A10BB09", "gliclazide", "60 mg cp LM, boite de 90", 30, 65, 8.4),
    Drug("sitagliptin", "A10BH01", "sitagliptine", "100 mg cp, boite de 28", 28, 65, 27.9),
    Drug("dulaglutide", "A10BJ05", "dulaglutide", "1,5 mg stylo, boite de 4", 28, 65, 77.5),
    Drug("dapagliflozin", "A10BK01", "dapagliflozine", "10 mg cp, boite de 30", 30, 65, 34.0),
    Drug("insulin_glargine", "A10AE04", "insuline glargine", "100 U/ml stylo, boite de 5", 30, 65, 42.3),
    Drug("insulin_aspart", "A10AB05", "insuline asparte", "100 U/ml stylo, boite de 5", 30, 65, 33.5),
    Drug("atorvastatin", "C10AA05", "atorvastatine", "20 mg cp, boite de 90", 90, 65, 14.2),
    Drug("rosuvastatin", "C10AA07", "rosuvastatine", "10 mg cp, boite de 90", 90, 65, 15.9),
    Drug("aspirin_low", "B01AC06", "acide acetylsalicylique", "75 mg sachet, boite de 30", 30, 65, 2.9),
    Drug("clopidogrel", "B01AC04", "clopidogrel", "75 mg cp, boite de 90", 90, 65, 17.1),
    Drug("apixaban", "B01AF02", "apixaban", "5 mg cp, boite de 60", 30, 65, 52.0),
    Drug("bisoprolol", "C07AB07", "bisoprolol", "2,5 mg cp, boite de 90", 90, 65, 9.1),
    Drug("ramipril", "C09AA05", "ramipril", "5 mg cp, boite de 90", 90, 65, 8.7),
    Drug("furosemide", "C03CA01", "furosemide", "40 mg cp, boite de 30", 30, 65, 2.5),
    Drug("spironolactone", "C03DA01", "spironolactone", "25 mg cp, boite de 30", 30, 65, 3.8),
    Drug("sacubitril_valsartan", "C09DX04", "sacubitril, valsartan", "49/51 mg cp, boite de 56",
         28, 65, 98.0),
    Drug("amlodipine", "C08CA01", "amlodipine", "5 mg gel, boite de 30", 30, 65, 2.9),
    Drug("salbutamol", "R03AC02", "salbutamol", "100 ug/dose susp. inhal., 1 flacon", 30, 65, 4.2),
    Drug("tiotropium", "R03BB04", "tiotropium", "2,5 ug/dose sol. inhal., 1 cartouche", 30, 65, 41.0),
    Drug("salmeterol_fluticasone", "R03AK06", "salmeterol, fluticasone",
         "50/500 ug poudre inhal., 1 inhalateur", 30, 65, 38.0),
    Drug("budesonide_formoterol", "R03AK07", "budesonide, formoterol",
         "200/6 ug poudre inhal., 1 inhalateur", 30, 65, 31.0),
    Drug("epoetin", "B03XA01", "epoetine alfa", "4000 UI ser. preremplie, boite de 6", 30, 100, 180.0),
    Drug("sevelamer", "V03AE02", "sevelamer", "800 mg cp, boite de 180", 30, 65, 95.0),
    Drug("donepezil", "N06DA02", "donepezil", "10 mg cp, boite de 28", 28, 15, 12.0),
    Drug("memantine", "N06DX01", "memantine", "20 mg cp, boite de 28", 28, 15, 16.0),
    Drug("risperidone", "N05AX08", "risperidone", "1 mg cp, boite de 60", 30, 65, 10.5),
    Drug("letrozole", "L02BG04", "letrozole", "2,5 mg cp, boite de 30", 30, 100, 18.0),
    Drug("tamoxifen", "L02BA01", "tamoxifene", "20 mg cp, boite de 30", 30, 100, 7.3),
    Drug("escitalopram", "N06AB10", "escitalopram", "10 mg cp, boite de 28", 28, 65, 9.4),
    Drug("sertraline", "N06AB06", "sertraline", "50 mg gel, boite de 28", 28, 65, 6.9),
    Drug("venlafaxine", "N06AX16", "venlafaxine", "75 mg gel LP, boite de 30", 30, 65, 8.8),
    Drug("paroxetine", "N06AB05", "paroxetine", "20 mg cp, boite de 28", 28, 65, 6.1),
    Drug("paracetamol", "N02BE01", "paracetamol", "1 g cp, boite de 8", 4, 65, 1.2),
    Drug("amoxicillin", "J01CA04", "amoxicilline", "1 g cp, boite de 14", 7, 65, 3.2),
    Drug("ibuprofen", "M01AE01", "ibuprofene", "400 mg cp, boite de 30", 10, 65, 2.1),
    Drug("omeprazole", "A02BC01", "omeprazole", "20 mg gel, boite de 28", 28, 65, 4.9),
    Drug("levothyroxine", "H03AA01", "levothyroxine", "75 ug cp, boite de 30", 30, 65, 1.6),
    Drug("zolpidem", "N05CF02", "zolpidem", "10 mg cp, boite de 14", 14, 65, 2.3),
    # Drugs of everyday polypharmacy (chronic treatments outside the tracked conditions).
    Drug("perindopril", "C09AA04", "perindopril", "5 mg cp, boite de 30", 30, 65, 3.6),
    Drug("losartan", "C09CA01", "losartan", "50 mg cp, boite de 30", 30, 65, 3.8),
    Drug("hydrochlorothiazide", "C03AA03", "hydrochlorothiazide", "25 mg cp, boite de 30", 30,
         65, 1.9),
    Drug("colecalciferol", "A11CC05", "colecalciferol", "100 000 UI sol. buv., 1 ampoule", 90,
         65, 1.9),
    Drug("alprazolam", "N05BA12", "alprazolam", "0,25 mg cp, boite de 30", 30, 65, 1.6),
    Drug("bromazepam", "N05BA08", "bromazepam", "6 mg cp, boite de 30", 30, 65, 2.0),
    Drug("tramadol", "N02AX02", "tramadol", "50 mg gel, boite de 30", 15, 65, 3.4),
    Drug("esomeprazole", "A02BC05", "esomeprazole", "20 mg gel, boite de 28", 28, 65, 5.6),
    Drug("allopurinol", "M04AA01", "allopurinol", "200 mg cp, boite de 28", 28, 65, 2.6),
    Drug("tamsulosin", "G04CA02", "tamsulosine", "0,4 mg gel LP, boite de 30", 30, 65, 6.5),
    Drug("macrogol", "A06AD15", "macrogol 4000", "10 g sachet, boite de 20", 20, 65, 4.5),
    Drug("ezetimibe", "C10AX09", "ezetimibe", "10 mg cp, boite de 90", 90, 65, 26.0),
    Drug("pregabalin", "N03AX16", "pregabaline", "75 mg gel, boite de 56", 28, 65, 12.3),
    Drug("potassium_chloride", "A12BA01", "chlorure de potassium", "600 mg gel LP, boite de 40",
         20, 65, 2.4),
    Drug("cetirizine", "R06AE07", "cetirizine", "10 mg cp, boite de 15", 15, 65, 1.8),
    Drug("desogestrel", "G03AC09", "desogestrel", "75 ug cp, boite de 3 x 28", 84, 65, 6.9),
    Drug("amoxicillin_clavulanate", "J01CR02", "amoxicilline, acide clavulanique",
         "1 g/125 mg sachet, boite de 16", 8, 65, 6.3),
    Drug("prednisolone", "H02AB06", "prednisolone", "20 mg cp orodisp., boite de 20", 10, 65,
         3.1),
    Drug("tacrolimus", "L04AD02", "tacrolimus", "1 mg gel, boite de 60", 30, 100, 98.0),
    Drug("mycophenolate", "L04AA06", "mycophenolate mofetil", "500 mg cp, boite de 150", 30, 100,
         96.0),
)
DRUG_INDEX = {d.key: i for i, d in enumerate(DRUGS)}
CIP7_BASE = 3_000_001  # synthetic CIP7 of DRUGS[i] is CIP7_BASE + 17 * i


def cip7(i: int) -> int:
    return CIP7_BASE + 17 * i


def cip13(i: int) -> int:
    """EAN-13 code 34009 + CIP7 + check digit, as CIP13 codes are built."""
    body = f"34009{cip7(i):07d}"
    total = sum(int(c) * (3 if k % 2 else 1) for k, c in enumerate(body))
    return int(body + str((10 - total % 10) % 10))


# --- care -------------------------------------------------------------------------------------

# Lab panels: NABM codes billed together on one lab visit.
LAB_PANELS: dict[str, tuple[int, ...]] = {
    "diabetes": (1577, 552, 592),  # HbA1c, glucose, creatinine
    "diabetes_annual": (1133, 996, 1577),  # microalbuminuria, lipid panel, HbA1c
    "heart_failure": (1821, 1610, 592),  # natriuretic peptides, electrolytes, creatinine
    "kidney": (592, 1610, 1104),  # creatinine, electrolytes, blood count
    "routine": (1104, 1804),  # blood count, CRP
    "metabolic": (552, 996),  # glucose, lipid panel
    "thyroid": (1208,),  # TSH
    "screening_hba1c": (1577, 552),
    "anticoagulant": (127,),  # INR
}

# Specialties (PSE_SPE_COD) of the SNDS code list IR_SPE_V.
GP, CARDIOLOGY, PNEUMOLOGY, OPHTHALMOLOGY, NEUROLOGY, PSYCHIATRY, NEPHROLOGY, ENDOCRINOLOGY, \
    GYNAECOLOGY, PAEDIATRICS, RADIOLOGY = 1, 3, 13, 15, 32, 33, 35, 42, 7, 12, 6
# Auxiliaries have no medical specialty: 1000 + their activity nature (PSE_ACT_NAT, IR_ACT_V).
NURSE, PHYSIOTHERAPIST = 1024, 1026


@dataclass(frozen=True)
class StayType:
    """A kind of hospital stay in PMSI MCO.

    The GHM is its 5-character root (category, type C/K/M/Z, number) and a suffix: a fixed one for
    sessions (Z) and obstetrics (A), otherwise drawn as the ATIH classification does: J for a
    surgical or interventional day case (0 night), T for a very short medical stay (0-1 night),
    severity levels 1-4 needing at least 0, 3, 4 and 5 nights.
    """

    key: str
    main: tuple[str, ...]  # possible main diagnoses (DGN_PAL), CIM-10 without dot
    ghm: str  # GHM root (GRG_GHM without its suffix)
    los: tuple[int, int]  # length of stay range in nights (0 = day case or session)
    acts: tuple[str, ...] = ()  # CCAM acts coded in the stay (T_MCOaaA)
    related: str = ""  # related diagnosis (DGN_REL), e.g. the disease of a session
    entry_mode: str = "8"  # ENT_MOD: 8 home
    suffix: str = ""  # fixed GHM suffix, or "" for the severity rule
    day_case: float = 0.0  # share of stays done as day cases (0 night)

    @property
    def session(self) -> bool:
        return self.ghm.startswith("28")


STAYS: dict[str, StayType] = {s.key: s for s in (
    StayType("t2d_complication", ("E110", "E116", "E117", "E119"), "10M02", (2, 7)),
    StayType("t1d_ketoacidosis", ("E101", "E109"), "10M02", (1, 5)),
    StayType("hf_decompensation", ("I500", "I501", "I509"), "05M09", (4, 14), ("DZQM006",)),
    StayType("mi", ("I210", "I214", "I219"), "05K06", (3, 8), ("DDQH009", "DDAF008")),
    StayType("angina", ("I200", "I209", "I251"), "05M04", (1, 4), ("DDQH009",)),
    StayType("stroke", ("I639", "I634", "I619", "I64"), "01M30", (5, 20), ("ACQN001",)),
    StayType("tia", ("G459",), "01M31", (1, 3), ("ACQN001",)),
    StayType("copd_exacerbation", ("J441", "J449"), "04M20", (3, 10), ("ZBQK002",)),
    StayType("asthma_attack", ("J450", "J459"), "04M15", (1, 3)),
    StayType("dialysis", ("Z491",), "28Z04", (0, 0), ("JVJF004",), related="N185", suffix="Z"),
    StayType("kidney_transplant", ("N185",), "27C06", (8, 15), ("JAEA003",)),
    StayType("transplant_follow_up", ("Z940",), "11M15", (0, 2), day_case=0.7),
    StayType("dementia", ("G309", "F03", "F009"), "19M06", (5, 20)),
    StayType("breast_surgery", ("C509", "C504"), "09C05", (0, 4), ("QEFA004", "QEFA020"),
             day_case=0.4),
    StayType("chemotherapy", ("Z511",), "28Z07", (0, 0), (), related="C509", suffix="Z"),
    StayType("depression", ("F329", "F322", "F331"), "19M07", (3, 15)),
    StayType("appendicitis", ("K358",), "06C09", (1, 4), ("HHFA016",)),
    StayType("delivery", ("O800",), "14Z14", (2, 5), ("JQGD010",), suffix="A"),
    StayType("caesarean", ("O820",), "14C08", (3, 6), ("JQGA002",)),
    StayType("newborn", ("Z380",), "15M05", (2, 5), suffix="A"),
    StayType("bronchiolitis", ("J219",), "04M07", (1, 5)),
    StayType("hip_fracture", ("S720",), "08C47", (5, 15), ("NBCA005",)),
    StayType("wrist_fracture", ("S525",), "08C40", (0, 2), day_case=0.5),
    StayType("head_injury", ("S0600",), "01M21", (0, 3)),
    StayType("cataract", ("H251",), "02C05", (0, 0), ("BFGA002",)),
    StayType("colonoscopy", ("Z121", "K635", "K573"), "06K04", (0, 0), ("HHQE002",)),
    StayType("gastroscopy", ("K291", "K210"), "06K04", (0, 0), ("HEQE002",)),
    StayType("chest_pain", ("R074",), "05M17", (0, 2), ("DEQP003",)),
    StayType("pneumonia", ("J189",), "04M05", (3, 10), ("ZBQK002",)),
    StayType("urinary_infection", ("N390",), "11M04", (2, 7)),
    StayType("cellulitis", ("L031",), "09M11", (2, 8)),
    StayType("dehydration", ("E86",), "10M11", (2, 6)),
    StayType("gastroenteritis", ("A099",), "06M03", (1, 3)),
    StayType("gallstones", ("K802", "K801"), "07C14", (0, 3), ("HMFC004",), day_case=0.3),
    StayType("hernia", ("K409",), "06C12", (0, 2), day_case=0.6),
    StayType("knee_arthrosis", ("M171",), "08C24", (3, 7), ("NFKA007",)),
    StayType("hip_arthrosis", ("M161",), "08C48", (3, 7)),
    StayType("hysterectomy", ("D251", "N832"), "13C03", (2, 5)),
    StayType("prostate", ("N40",), "12C04", (1, 4)),
    StayType("back_pain", ("M545", "M511"), "08M17", (0, 5)),
    StayType("syncope", ("R55",), "05M20", (0, 2), ("DEQP003",)),
    StayType("abdominal_pain", ("R104",), "06M12", (0, 2), ("ZCQM001",)),
    StayType("atrial_fibrillation", ("I48",), "05M12", (1, 4), ("DEQP003",)),
    StayType("small_surgery", ("D221", "L720", "M751"), "09C10", (0, 1), day_case=0.8),
    StayType("palliative", ("Z515",), "23Z02", (3, 20)),
)}

@dataclass(frozen=True)
class Treatment:
    drug: str
    share: float  # share of the condition's patients on this drug
    adherence: float = 0.85  # share of expected refills actually dispensed


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    prevalence: tuple[tuple[int, float, float], ...]  # (age, male, female), linear in between
    min_onset_age: int
    max_history_years: int  # onsets spread over this many years before the end of the period
    ald: tuple[int, tuple[str, ...], float]  # ALD number (IR_ALD_V), CIM-10 codes, probability
    dx: tuple[str, ...]  # CIM-10 codes coded as associated diagnoses in other stays
    dx_coding: float  # probability that a stay of the patient carries one of the dx codes
    treatments: tuple[Treatment, ...] = ()
    untreated: float = 0.0  # share of patients who never receive the condition's drugs
    labs: tuple[tuple[str, float], ...] = ()  # (panel, per year)
    visits: tuple[tuple[int, float], ...] = ()  # (specialty, per year)
    acts: tuple[tuple[str, int, float], ...] = ()  # (CCAM act, specialty, per year) in town
    onset_stay: tuple[str, float] | None = None  # stay type at onset and its probability
    stays: tuple[tuple[str, float], ...] = ()  # (stay type, per year) while ill
    mortality_hr: float = 1.0
    death_code: str = ""  # CIM-10 code as underlying cause of death (4 characters)
    sexes: tuple[int, ...] = (1, 2)
    frailty: bool = True  # shares the person's latent frailty (multimorbidity)
    codes: tuple[str, ...] = ()  # CIM-10 prefixes that identify the condition in hospital data
    marker_atc: tuple[str, ...] = ()  # ATC prefixes of its specific drugs
    # Yearly incidence by (age, male, female) when the condition is not lifelong (cancers): the
    # prevalence curve then only seeds the people already ill at the start. Lifelong conditions
    # derive their incidence from the prevalence curve (see people.py).
    incidence: tuple[tuple[int, float, float], ...] = ()
    # Sessions concentrated after the diagnosis: (stay type, sessions, days apart, probability).
    onset_sessions: tuple[str, int, int, float] | None = None
    ald_years: int = 5  # an ALD is granted for this many years, then renewed while it lasts
    ald_if_untreated: float = 0.3  # ALD probability of untreated patients, against treated ones
    ald_delay: int = 365  # days from onset to the ALD registration, at most
    requires: str = ""  # a condition the person must already have (a graft needs kidney failure)
    excludes: str = ""  # a condition the person cannot also have (type 1 versus type 2 diabetes)


# Sources of the prevalence curves (rounded, by age and sex; the figures are the published ones,
# the curves' shapes by age are read from the same publications):
# - type 2 diabetes: about 5.3 % of people drug-treated in 2020, plus untreated and diet-only
#   patients, "Le diabete en France: prevalence du diabete traite pharmacologiquement", Sante
#   publique France, 2021 (https://www.santepubliquefrance.fr/); type 1 is about 6 % to 10 % of
#   treated diabetes (assumption within that range);
# - heart failure 2.6 % of adults (Sante publique France, 2022), ischaemic heart disease 5.6 % of
#   adults on 1 January 2023 and stroke 2.05 % of adults with 231 people hospitalised per 100,000
#   a year (Sante publique France, "Maladies cardiovasculaires et accident vasculaire cerebral",
#   https://www.santepubliquefrance.fr/);
# - COPD, asthma, dementia, depression, breast cancer and kidney failure: "Cartographie des
#   pathologies et des depenses", Assurance Maladie, 2021 (https://data.ameli.fr/), raised where the
#   cartographie only sees treated or hospitalised patients (COPD: about 5 % of adults over 40,
#   most undiagnosed; dementia: about 1.2 million people);
# - end-stage kidney disease: about 50,000 people on dialysis and 42,000 with a graft, "Rapport
#   annuel REIN", Agence de la biomedecine, 2021 (https://www.agence-biomedecine.fr/).
# Hazard ratios of death (mortality_hr) and care rates are orders of magnitude of the clinical
# literature (assumption).
CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "t2d", "Type 2 diabetes",
        ((20, 0.002, 0.002), (40, 0.02, 0.015), (50, 0.07, 0.04), (60, 0.12, 0.07),
         (70, 0.19, 0.12), (80, 0.21, 0.16), (95, 0.15, 0.12)),
        25, 20, (8, ("E119", "E110", "E116"), 0.88), ("E119", "E110", "E116"), 0.6,
        (Treatment("metformin", 0.8), Treatment("gliclazide", 0.25), Treatment("sitagliptin", 0.2),
         Treatment("dulaglutide", 0.1), Treatment("dapagliflozin", 0.12),
         Treatment("insulin_glargine", 0.15), Treatment("atorvastatin", 0.5)),
        untreated=0.12,
        labs=(("diabetes", 2.5), ("diabetes_annual", 0.8)),
        visits=((GP, 6.0), (ENDOCRINOLOGY, 0.3), (OPHTHALMOLOGY, 0.5), (NURSE, 3.0)),
        acts=(("BGQP007", OPHTHALMOLOGY, 0.4),),
        stays=(("t2d_complication", 0.03),),
        mortality_hr=1.6, death_code="E149",
        codes=('E11',), marker_atc=('A10B',), excludes="t1d",
    ),
    Condition(
        "t1d", "Type 1 diabetes",
        ((2, 0.0, 0.0), (5, 0.0015, 0.0015), (15, 0.004, 0.0035), (40, 0.0055, 0.0045),
         (80, 0.004, 0.0035)),
        2, 60, (8, ("E109", "E102"), 0.9), ("E109",), 0.7,
        (Treatment("insulin_glargine", 0.95, 0.9), Treatment("insulin_aspart", 0.95, 0.9)),
        labs=(("diabetes", 3.0), ("diabetes_annual", 0.9)),
        visits=((GP, 4.0), (ENDOCRINOLOGY, 1.5), (OPHTHALMOLOGY, 0.6)),
        acts=(("BGQP007", OPHTHALMOLOGY, 0.5),),
        stays=(("t1d_ketoacidosis", 0.05),),
        mortality_hr=2.0, death_code="E109", frailty=False,
        codes=('E10',), marker_atc=('A10A',), excludes="t2d",
    ),
    Condition(
        "heart_failure", "Heart failure",
        ((40, 0.0005, 0.0003), (45, 0.002, 0.0014), (55, 0.008, 0.004), (65, 0.023, 0.014),
         (75, 0.064, 0.046), (85, 0.15, 0.13), (95, 0.24, 0.22)),
        40, 10, (5, ("I500", "I509"), 0.55), ("I500", "I509"), 0.6,
        (Treatment("furosemide", 0.8), Treatment("bisoprolol", 0.7), Treatment("ramipril", 0.55),
         Treatment("sacubitril_valsartan", 0.2), Treatment("spironolactone", 0.3)),
        untreated=0.05,
        labs=(("heart_failure", 2.0),),
        visits=((GP, 8.0), (CARDIOLOGY, 1.5)),
        acts=(("DEQP003", CARDIOLOGY, 1.2), ("DZQM006", CARDIOLOGY, 0.6)),
        onset_stay=("hf_decompensation", 0.6),
        stays=(("hf_decompensation", 0.35),),
        mortality_hr=3.0, death_code="I509",
        codes=('I50',), marker_atc=('C03CA', 'C09DX04'),
    ),
    Condition(
        "coronary", "Coronary heart disease",
        ((35, 0.0, 0.0), (40, 0.004, 0.001), (50, 0.028, 0.007), (60, 0.09, 0.028), (70, 0.18, 0.07),
         (80, 0.26, 0.14), (95, 0.30, 0.20)),
        35, 20, (13, ("I251", "I209"), 0.75), ("I251",), 0.5,
        (Treatment("aspirin_low", 0.8), Treatment("atorvastatin", 0.75), Treatment("bisoprolol", 0.6),
         Treatment("ramipril", 0.45), Treatment("clopidogrel", 0.3)),
        untreated=0.05,
        labs=(("metabolic", 1.0),),
        visits=((GP, 5.0), (CARDIOLOGY, 1.0)),
        acts=(("DEQP003", CARDIOLOGY, 1.0),),
        onset_stay=("mi", 0.5),
        stays=(("angina", 0.08),),
        mortality_hr=1.8, death_code="I251",
        codes=('I20', 'I21', 'I22', 'I23', 'I24', 'I25'), marker_atc=('B01AC',),
    ),
    Condition(
        "stroke", "Stroke (history of)",
        ((30, 0.0, 0.0), (40, 0.0035, 0.0026), (50, 0.009, 0.007), (60, 0.020, 0.015),
         (70, 0.047, 0.033), (80, 0.084, 0.070), (95, 0.12, 0.105)),
        30, 15, (1, ("I639", "I64"), 0.65), ("I639", "I694"), 0.5,
        (Treatment("clopidogrel", 0.45), Treatment("aspirin_low", 0.4),
         Treatment("atorvastatin", 0.65), Treatment("apixaban", 0.25)),
        untreated=0.1,
        labs=(("metabolic", 1.0),),
        visits=((GP, 6.0), (NEUROLOGY, 0.6)),
        acts=(("EBQM001", RADIOLOGY, 0.3),),
        onset_stay=("stroke", 0.9),
        stays=(("stroke", 0.02), ("tia", 0.03)),  # recurrences
        mortality_hr=2.0, death_code="I64",
        codes=('I61', 'I63', 'I64'), marker_atc=('B01AC', 'B01AF'),
    ),
    Condition(
        "copd", "Chronic obstructive pulmonary disease",
        ((40, 0.006, 0.004), (50, 0.02, 0.012), (60, 0.045, 0.025), (70, 0.07, 0.035),
         (80, 0.08, 0.04), (95, 0.07, 0.035)),
        35, 15, (14, ("J449",), 0.15), ("J449",), 0.5,
        (Treatment("tiotropium", 0.5), Treatment("salmeterol_fluticasone", 0.3),
         Treatment("salbutamol", 0.7, 0.5)),
        untreated=0.15,
        visits=((GP, 5.0), (PNEUMOLOGY, 0.5)),
        acts=(("GLQP012", PNEUMOLOGY, 0.4),),
        stays=(("copd_exacerbation", 0.12),),
        mortality_hr=1.8, death_code="J449",
        codes=('J44',), marker_atc=('R03BB',),
    ),
    Condition(
        "asthma", "Asthma",
        ((3, 0.05, 0.035), (12, 0.09, 0.07), (20, 0.06, 0.07), (50, 0.05, 0.06), (80, 0.04, 0.05)),
        2, 30, (14, ("J459",), 0.01), ("J459",), 0.3,
        (Treatment("salbutamol", 0.8, 0.35), Treatment("budesonide_formoterol", 0.4, 0.6)),
        untreated=0.2,
        visits=((GP, 2.0), (PNEUMOLOGY, 0.2)),
        stays=(("asthma_attack", 0.01),),
        frailty=False,
        codes=('J45', 'J46'), marker_atc=('R03AK', 'R03AC'),
    ),
    Condition(
        "eskd", "End-stage kidney disease (dialysis or graft)",
        ((18, 0.0, 0.0), (20, 0.0003, 0.00015), (50, 0.0015, 0.0008), (65, 0.0039, 0.0019),
         (80, 0.0045, 0.0022), (95, 0.0021, 0.001)),
        18, 8, (19, ("N185",), 0.95), ("N185",), 0.9,
        (Treatment("epoetin", 0.6, 0.9), Treatment("sevelamer", 0.5)),
        labs=(("kidney", 10.0),),
        visits=((GP, 6.0), (NEPHROLOGY, 2.0)),
        stays=(("dialysis", 150.0),),
        mortality_hr=4.0, death_code="N185",
        codes=('N185', 'Z49'), marker_atc=('B03XA',),
    ),
    # A kidney graft: the ESKD patient leaves dialysis. About 45 % of people on renal replacement
    # therapy live with a graft, about 3,500 grafts a year for about 50,000 on dialysis ("Rapport
    # annuel REIN", Agence de la biomedecine, 2021, https://www.agence-biomedecine.fr/).
    Condition(
        "kidney_graft", "Kidney graft",
        ((18, 0.0, 0.0), (20, 0.0002, 0.0001), (50, 0.0010, 0.0005), (65, 0.0019, 0.0009),
         (80, 0.0012, 0.0006), (95, 0.0, 0.0)),
        18, 25, (19, ("Z940",), 0.9), ("Z940",), 0.7,
        (Treatment("tacrolimus", 0.9, 0.95), Treatment("mycophenolate", 0.8, 0.95)),
        labs=(("kidney", 6.0),),
        visits=((GP, 4.0), (NEPHROLOGY, 3.0)),
        onset_stay=("kidney_transplant", 1.0),
        stays=(("transplant_follow_up", 1.0),),
        mortality_hr=1.5, death_code="N185", frailty=False,
        codes=('Z940',), marker_atc=('L04AD',),
        incidence=((18, 0.07, 0.07), (65, 0.04, 0.04), (75, 0.005, 0.005)),
        requires="eskd",
    ),
    Condition(
        "dementia", "Dementia (Alzheimer's disease and related)",
        ((60, 0.003, 0.003), (70, 0.012, 0.014), (80, 0.05, 0.07), (90, 0.14, 0.2),
         (95, 0.22, 0.3)),
        55, 8, (15, ("G309", "F03"), 0.5), ("G309", "F03"), 0.6,
        (Treatment("donepezil", 0.08), Treatment("memantine", 0.05), Treatment("risperidone", 0.15)),
        untreated=0.4,
        visits=((GP, 9.0), (NEUROLOGY, 0.5)),
        acts=(("ACQN001", RADIOLOGY, 0.1),),
        stays=(("dementia", 0.1),),
        mortality_hr=2.5, death_code="G309",
        codes=('G30', 'F00', 'F01', 'F02', 'F03'), marker_atc=('N06D',),
    ),
    Condition(
        "breast_cancer", "Breast cancer (women)",
        ((30, 0.0, 0.0005), (40, 0.0, 0.004), (50, 0.0, 0.014), (60, 0.0, 0.028),
         (70, 0.0, 0.04), (85, 0.0, 0.042)),
        25, 10, (30, ("C509", "C504"), 0.95), ("C509",), 0.7,
        (Treatment("letrozole", 0.45), Treatment("tamoxifen", 0.25)),
        untreated=0.2,
        visits=((GP, 4.0), (GYNAECOLOGY, 1.0)),
        acts=(("QEQK001", RADIOLOGY, 1.0),),  # follow-up mammography, not screening
        onset_stay=("breast_surgery", 0.85),
        onset_sessions=("chemotherapy", 6, 21, 0.5),
        mortality_hr=1.5, death_code="C509", sexes=(2,), ald_if_untreated=1.0, ald_delay=60,
        codes=('C50',), marker_atc=('L02B',),
        # About 61,000 new cases a year ("Panorama des cancers en France", INCa, 2023,
        # https://www.e-cancer.fr/).
        incidence=((25, 0.0, 0.0001), (30, 0.0, 0.0004), (40, 0.0, 0.0018), (50, 0.0, 0.0033),
                   (60, 0.0, 0.0041), (70, 0.0, 0.0047), (80, 0.0, 0.0035), (90, 0.0, 0.0029)),
    ),
    Condition(
        "depression", "Depression",
        ((15, 0.015, 0.03), (25, 0.03, 0.06), (45, 0.04, 0.08), (65, 0.035, 0.07),
         (85, 0.04, 0.08)),
        12, 10, (23, ("F332", "F322"), 0.04), ("F329", "F322", "F331"), 0.4,
        (Treatment("escitalopram", 0.4), Treatment("sertraline", 0.3),
         Treatment("venlafaxine", 0.2), Treatment("paroxetine", 0.1)),
        untreated=0.25,
        visits=((GP, 5.0), (PSYCHIATRY, 0.6)),
        stays=(("depression", 0.01),),
        mortality_hr=1.2, death_code="X84", frailty=False,
        codes=('F32', 'F33'), marker_atc=('N06A',),
    ),
)
CONDITION_INDEX = {c.key: i for i, c in enumerate(CONDITIONS)}


@dataclass(frozen=True)
class Background:
    """Care unrelated to the tracked conditions, for everyone, by age band."""

    kind: str  # "drug", "lab", "visit", "stay", "act"
    what: str | int  # drug key, lab panel, specialty, stay type or CCAM act
    rates: tuple[tuple[int, float], ...]  # (from age, per year), step function
    sexes: tuple[int, ...] = (1, 2)
    specialty: int = GP
    chronic_share: float = 0.0  # for drugs: share of people of `chronic_ages` on it all along
    chronic_ages: tuple[int, int] = (0, 0)


# GP consultations and visits per person-year by age, before the person's own propensity: 3.3 a
# year per inhabitant in 2022 ("Les consultations de medecins generalistes", DREES, Etudes et
# resultats, 2022, https://drees.solidarites-sante.gouv.fr/), more in young children and old age.
# A condition raises a patient's rate to its own figure (not on top: the same visits follow it).
GP_VISITS: tuple[tuple[int, float], ...] = (
    (0, 3.6), (6, 1.7), (16, 2.1), (45, 2.8), (65, 3.9), (75, 5.0), (85, 6.3))
# Visits are over-dispersed: each person's rate is multiplied by a gamma draw of mean 1 and this
# shape (about 17 % of people see no GP in a year; DREES reports about 15 % to 20 %).
GP_SHAPE = 1.5
# Hospital stays are concentrated on a few people (15-18 % hospitalised in a year for about 0.28
# stays per inhabitant): background stay rates are multiplied by a gamma draw of this shape.
HOSPITAL_SHAPE = 0.25
# The ordinary stay rates below are relative; this factor calibrates them so that all MCO stays
# (conditions, births and deaths included) reach about 278 per 1,000 inhabitants a year, sessions
# excluded (18.9 million stays in 2022, "Analyse de l'activite hospitaliere 2022", ATIH,
# https://www.atih.sante.fr/).
STAY_RATE_SCALE = 1.7

BACKGROUND: tuple[Background, ...] = (
    Background("visit", PAEDIATRICS, ((0, 1.0), (6, 0.2), (16, 0.0))),
    Background("visit", GYNAECOLOGY, ((0, 0.0), (18, 0.6), (65, 0.2)), sexes=(2,)),
    Background("visit", OPHTHALMOLOGY, ((0, 0.2), (16, 0.25), (60, 0.4))),
    Background("visit", CARDIOLOGY, ((0, 0.0), (50, 0.15), (70, 0.3))),
    Background("visit", NURSE, ((0, 0.2), (60, 1.0), (75, 4.0), (85, 10.0))),
    Background("visit", PHYSIOTHERAPIST, ((0, 0.2), (30, 0.8), (65, 1.5))),
    # Acute treatments: episodes a year, several boxes each (see ACUTE_BOXES).
    Background("drug", "paracetamol", ((0, 2.0), (16, 2.2), (60, 3.0))),
    Background("drug", "amoxicillin", ((0, 0.6), (16, 0.3))),
    Background("drug", "amoxicillin_clavulanate", ((0, 0.15), (16, 0.15), (65, 0.25))),
    Background("drug", "ibuprofen", ((0, 0.3), (16, 0.4), (65, 0.2))),
    Background("drug", "prednisolone", ((0, 0.1), (16, 0.15))),
    Background("drug", "cetirizine", ((0, 0.3), (16, 0.3), (65, 0.1))),
    Background("drug", "omeprazole", ((0, 0.0), (40, 0.4), (65, 0.6))),
    Background("drug", "salbutamol", ((0, 0.03),)),  # acute bronchitis: not asthma
    Background("drug", "tramadol", ((0, 0.0), (18, 0.1), (60, 0.2))),
    Background("drug", "zolpidem", ((0, 0.0), (30, 0.2), (65, 0.6))),
    Background("drug", "furosemide", ((0, 0.0),), chronic_share=0.004, chronic_ages=(70, 120)),
    # Metformin off-label (polycystic ovary syndrome): treated, not diabetic.
    Background("drug", "metformin", ((0, 0.0),), sexes=(2,), chronic_share=0.004,
               chronic_ages=(18, 45)),
    Background("lab", "routine", ((0, 0.2), (18, 0.5), (60, 0.9))),
    Background("lab", "metabolic", ((0, 0.0), (18, 0.3), (50, 0.6))),
    Background("lab", "thyroid", ((0, 0.0), (18, 0.15), (50, 0.3))),
    Background("lab", "screening_hba1c", ((0, 0.0), (40, 0.05), (60, 0.1))),
    Background("act", "DEQP003", ((0, 0.0), (40, 0.05), (65, 0.15)), specialty=CARDIOLOGY),
    # Organised breast screening: women aged 50 to 74, every two years, about half take part
    # ("Depistage du cancer du sein", Sante publique France, 2023,
    # https://www.santepubliquefrance.fr/).
    Background("act", "QEQK004", ((0, 0.0), (50, 0.3), (75, 0.0)), sexes=(2,),
               specialty=RADIOLOGY),
    # Ordinary stays (rates before the person's propensity); about 40 % of MCO stays are day
    # cases ("Analyse de l'activite hospitaliere", ATIH, 2022, https://www.atih.sante.fr/).
    Background("stay", "bronchiolitis", ((0, 0.03), (2, 0.0))),
    Background("stay", "appendicitis", ((0, 0.0), (5, 0.0012), (30, 0.0006))),
    Background("stay", "hip_fracture", ((0, 0.0), (65, 0.002), (80, 0.012))),
    Background("stay", "wrist_fracture", ((0, 0.002), (16, 0.001), (60, 0.003))),
    Background("stay", "head_injury", ((0, 0.004), (16, 0.002), (75, 0.008))),
    Background("stay", "cataract", ((0, 0.0), (60, 0.012), (70, 0.04), (85, 0.02))),
    Background("stay", "colonoscopy", ((0, 0.0), (30, 0.01), (45, 0.04), (60, 0.06), (80, 0.03))),
    Background("stay", "gastroscopy", ((0, 0.002), (30, 0.01), (50, 0.02), (70, 0.025))),
    Background("stay", "chest_pain", ((0, 0.0), (30, 0.003), (60, 0.006))),
    Background("stay", "pneumonia", ((0, 0.002), (65, 0.008), (80, 0.025))),
    Background("stay", "urinary_infection", ((0, 0.002), (16, 0.002), (65, 0.006), (80, 0.02))),
    Background("stay", "cellulitis", ((0, 0.001), (50, 0.002), (75, 0.005))),
    Background("stay", "dehydration", ((0, 0.002), (6, 0.0), (75, 0.006), (85, 0.015))),
    Background("stay", "gastroenteritis", ((0, 0.008), (6, 0.002), (75, 0.004))),
    Background("stay", "gallstones", ((0, 0.0), (30, 0.004), (60, 0.006))),
    Background("stay", "hernia", ((0, 0.002), (18, 0.002), (50, 0.005), (70, 0.006))),
    Background("stay", "knee_arthrosis", ((0, 0.0), (55, 0.004), (65, 0.007), (85, 0.0))),
    Background("stay", "hip_arthrosis", ((0, 0.0), (55, 0.003), (65, 0.007), (85, 0.003))),
    Background("stay", "hysterectomy", ((0, 0.0), (35, 0.002), (45, 0.004), (60, 0.001)),
               sexes=(2,)),
    Background("stay", "prostate", ((0, 0.0), (55, 0.003), (70, 0.007)), sexes=(1,)),
    Background("stay", "back_pain", ((0, 0.0), (18, 0.004), (50, 0.006), (75, 0.006))),
    Background("stay", "syncope", ((0, 0.002), (60, 0.008), (80, 0.02))),
    Background("stay", "abdominal_pain", ((0, 0.012), (18, 0.016), (65, 0.02))),
    Background("stay", "atrial_fibrillation", ((0, 0.0), (60, 0.008), (75, 0.02))),
    Background("stay", "small_surgery", ((0, 0.008), (18, 0.015), (50, 0.025), (70, 0.03))),
    Background("stay", "tia", ((0, 0.0), (50, 0.001), (70, 0.003), (80, 0.005))),
)

# Boxes dispensed per acute episode (first line), by drug; chronic refills are one box per box
# duration, sometimes two.
ACUTE_BOXES: dict[str, int] = {"paracetamol": 2, "tramadol": 2}  # others: one box

# Everyday polypharmacy: the mean number of chronic treatments outside the tracked conditions by
# age, before adherence and starts and stops in the period (about 41 reimbursed boxes per
# inhabitant a year, "Medicaments: consommation et depenses", Assurance Maladie / ANSM, 2023,
# https://www.ameli.fr/; the over-75s take 7 to 10 drugs a day,
# "Polymedication des personnes agees", DREES, 2021). Each person draws a Poisson count around it
# from CHRONIC_DRUGS by weight.
POLYPHARMACY: tuple[tuple[int, float], ...] = (
    (0, 0.4), (16, 1.35), (30, 2.2), (45, 4.1), (60, 6.2), (70, 8.4), (80, 10.0), (90, 10.5))
# (drug, weight, sexes, from age): what everyday chronic treatments are made of.
CHRONIC_DRUGS: tuple[tuple[str, float, tuple[int, ...], int], ...] = (
    ("amlodipine", 1.2, (1, 2), 40), ("perindopril", 1.0, (1, 2), 40),
    ("losartan", 0.8, (1, 2), 40), ("hydrochlorothiazide", 0.5, (1, 2), 50),
    ("atorvastatin", 1.0, (1, 2), 45), ("rosuvastatin", 0.6, (1, 2), 45),
    ("ezetimibe", 0.2, (1, 2), 50), ("levothyroxine", 0.9, (2,), 20),
    ("levothyroxine", 0.2, (1,), 20), ("colecalciferol", 1.0, (1, 2), 0),
    ("esomeprazole", 0.8, (1, 2), 30), ("omeprazole", 0.6, (1, 2), 30),
    ("alprazolam", 0.5, (1, 2), 25), ("bromazepam", 0.4, (1, 2), 25),
    ("sertraline", 0.4, (1, 2), 18), ("zolpidem", 0.3, (1, 2), 40),
    ("allopurinol", 0.4, (1,), 45), ("tamsulosin", 0.5, (1,), 55),
    ("macrogol", 0.5, (1, 2), 60), ("pregabalin", 0.3, (1, 2), 30),
    ("potassium_chloride", 0.2, (1, 2), 65), ("tramadol", 0.3, (1, 2), 40),
    ("desogestrel", 1.5, (2,), 15), ("cetirizine", 0.4, (1, 2), 0),
    ("paracetamol", 1.2, (1, 2), 60),
)

# ALDs for conditions the generator does not track, so that about 18 % of people have an active
# ALD (12 million people in 2021, "Rapport charges et produits 2023", Assurance Maladie,
# https://www.ameli.fr/): (ALD number, CIM-10 codes, prevalence by (age, male, female)).
BACKGROUND_ALDS: tuple[tuple[int, tuple[str, ...], tuple[tuple[int, float, float], ...]], ...] = (
    (30, ("C189", "C349", "C61", "C20", "C679"),  # other cancers
     ((0, 0.001, 0.001), (40, 0.006, 0.008), (60, 0.04, 0.025), (75, 0.09, 0.045),
      (90, 0.09, 0.045))),
    (23, ("F200", "F312", "F412"), ((0, 0.002, 0.001), (18, 0.02, 0.022), (60, 0.025, 0.03),
                                    (90, 0.015, 0.02))),  # long-lasting psychiatric disorders
    (5, ("I48", "I350"), ((0, 0.0, 0.0), (50, 0.008, 0.005), (70, 0.04, 0.025),
                          (85, 0.08, 0.06))),  # arrhythmias, valvular disease
    (12, ("I10",), ((0, 0.0, 0.0), (50, 0.004, 0.004), (70, 0.02, 0.02), (85, 0.03, 0.03))),
    (16, ("G20",), ((0, 0.0, 0.0), (55, 0.001, 0.001), (75, 0.012, 0.009), (90, 0.015, 0.01))),
    (25, ("G35",), ((0, 0.0, 0.0), (20, 0.001, 0.002), (40, 0.002, 0.005), (70, 0.001, 0.002))),
    (9, ("G409",), ((0, 0.003, 0.003), (90, 0.003, 0.003))),
    (22, ("M069",), ((0, 0.0, 0.0), (30, 0.001, 0.003), (60, 0.004, 0.009), (90, 0.004, 0.008))),
    (6, ("K703",), ((0, 0.0, 0.0), (40, 0.002, 0.001), (60, 0.005, 0.002), (90, 0.003, 0.001))),
    (7, ("B24",), ((0, 0.0, 0.0), (25, 0.002, 0.001), (50, 0.004, 0.0015), (80, 0.001, 0.0005))),
)

# Underlying causes of the deaths not due to a tracked condition, with their weights: cancers are
# the first cause of death in France (about a quarter of all deaths, the lung first), then
# cardiovascular diseases, respiratory diseases, external causes and ill-defined causes ("Les
# causes de deces en France", DREES and Inserm-CepiDc, 2021, https://drees.solidarites-sante.gouv.fr/).
BACKGROUND_DEATH_CODES: tuple[tuple[str, float], ...] = (
    ("C349", 0.10), ("C189", 0.05), ("C61", 0.03), ("C259", 0.04), ("C220", 0.03),
    ("C80", 0.05), ("C169", 0.02), ("C900", 0.02), ("I219", 0.07), ("I64", 0.05),
    ("I469", 0.04), ("J189", 0.06), ("A419", 0.04), ("N179", 0.03), ("K746", 0.03),
    ("R99", 0.12), ("X59", 0.04), ("W19", 0.04), ("X70", 0.02), ("J449", 0.03),
)

# Data-quality realism.
CORRECTION_SHARE = 0.01  # DCIR lines cancelled by a negative line and billed again
PMSI_BAD_FLAG_SHARE = 0.015  # PMSI stays whose linkage quality flags are not all '0'
