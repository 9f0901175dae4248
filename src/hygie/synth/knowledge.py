"""Medical and demographic facts that drive the synthetic SNDS.

Figures are rounded public orders of magnitude for France (INSEE population by age and region,
Assurance Maladie's "cartographie des pathologies", usual care pathways); codes are real codes of
the packaged nomenclatures (CIM-10, CCAM V63, NABM, ATC, SNDS code lists), which a test checks.
Prevalence curves give the share of people of an age and sex who have the condition (onset on or
before the end of the period); care rates are per person-year of follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- population -------------------------------------------------------------------------------

# Population of France on 1 January 2023 by 5-year age band (thousands) and male share of the band.
AGE_BANDS: tuple[tuple[int, float, float], ...] = (
    (0, 3500, 0.512), (5, 3900, 0.512), (10, 4200, 0.512), (15, 4200, 0.511),
    (20, 3900, 0.505), (25, 3700, 0.495), (30, 4000, 0.490), (35, 4300, 0.490),
    (40, 4200, 0.495), (45, 4300, 0.495), (50, 4400, 0.490), (55, 4400, 0.485),
    (60, 4200, 0.475), (65, 3900, 0.470), (70, 3700, 0.460), (75, 2800, 0.440),
    (80, 2000, 0.410), (85, 1400, 0.360), (90, 700, 0.290), (95, 250, 0.200),
)

# Population by region code of the SNDS geography (GEO_REG_COD), millions, 2023; people are spread
# evenly over the departments of their region.
REGION_POPULATION: dict[str, float] = {
    "11": 12.3, "84": 8.1, "32": 6.0, "75": 6.0, "76": 6.0, "44": 5.6, "93": 5.1, "52": 3.9,
    "53": 3.4, "28": 3.3, "27": 2.8, "24": 2.6, "94": 0.35, "1": 0.38, "2": 0.36, "3": 0.29,
    "4": 0.87, "6": 0.30,
}

# Annual probability of death by age (both sexes, France, rounded); men x1.3, women x0.75.
MORTALITY: tuple[tuple[int, float], ...] = (
    (0, 0.0035), (1, 0.0001), (15, 0.0004), (25, 0.0006), (35, 0.0012), (45, 0.003),
    (55, 0.0075), (65, 0.015), (75, 0.04), (85, 0.12), (95, 0.30),
)
MALE_MORTALITY, FEMALE_MORTALITY = 1.3, 0.75

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
    Drug("amlodipine", "C08CA01", "amlodipine", "5 mg gel, boite de 90", 90, 65, 7.9),
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
    Drug("levothyroxine", "H03AA01", "levothyroxine", "75 ug cp, boite de 90", 90, 65, 4.3),
    Drug("zolpidem", "N05CF02", "zolpidem", "10 mg cp, boite de 14", 14, 65, 2.3),
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
    """A kind of hospital stay in PMSI MCO."""

    key: str
    main: tuple[str, ...]  # possible main diagnoses (DGN_PAL), CIM-10 without dot
    ghm: str  # GHM of the stay (GRG_GHM)
    los: tuple[int, int]  # length of stay range in nights (0 = day case or session)
    acts: tuple[str, ...] = ()  # CCAM acts coded in the stay (T_MCOaaA)
    related: str = ""  # related diagnosis (DGN_REL), e.g. the disease of a session
    entry_mode: str = "8"  # ENT_MOD: 8 home


STAYS: dict[str, StayType] = {s.key: s for s in (
    StayType("t2d_complication", ("E110", "E116", "E117", "E119"), "10M02T", (2, 7)),
    StayType("t1d_ketoacidosis", ("E101", "E109"), "10M02T", (1, 5)),
    StayType("hf_decompensation", ("I500", "I501", "I509"), "05M09T", (4, 14), ("DZQM006",)),
    StayType("mi", ("I210", "I214", "I219"), "05K06T", (3, 8), ("DDQH009", "DDAF008")),
    StayType("angina", ("I200", "I209", "I251"), "05M04T", (1, 4), ("DDQH009",)),
    StayType("stroke", ("I639", "I634", "I619", "I64"), "01M30T", (5, 20), ("ACQN001",)),
    StayType("copd_exacerbation", ("J441", "J449"), "04M20T", (3, 10), ("ZBQK002",)),
    StayType("asthma_attack", ("J450", "J459"), "04M15T", (1, 3)),
    StayType("dialysis", ("Z491",), "28Z04Z", (0, 0), ("JVJF004",), related="N185"),
    StayType("dementia", ("G309", "F03", "F009"), "19M06T", (5, 20)),
    StayType("breast_surgery", ("C509", "C504"), "09C05J", (1, 4), ("QEFA004", "QEFA020")),
    StayType("chemotherapy", ("Z511",), "28Z07Z", (0, 0), (), related="C509"),
    StayType("depression", ("F329", "F322", "F331"), "19M07T", (3, 15)),
    StayType("appendicitis", ("K358",), "06C09J", (1, 4), ("HHFA016",)),
    StayType("delivery", ("O800",), "14Z14A", (2, 5), ("JQGD010",)),
    StayType("hip_fracture", ("S720",), "08C47T", (5, 15), ("NBCA005",)),
    StayType("cataract", ("H251",), "02C05J", (0, 0), ("BFGA002",)),
    StayType("colonoscopy", ("Z121", "K635"), "06K04J", (0, 0), ("HHQE002",)),
    StayType("chest_pain", ("R074",), "05M17T", (0, 2), ("DEQP003",)),
    StayType("pneumonia", ("J189",), "04M05T", (3, 10), ("ZBQK002",)),
    StayType("gastroenteritis", ("A099",), "06M03T", (1, 3)),
    StayType("gallstones", ("K802", "K801"), "07C14J", (1, 3), ("HMFC004",)),
    StayType("knee_arthrosis", ("M171",), "08C24T", (3, 7), ("NFKA007",)),
    StayType("syncope", ("R55",), "05M20T", (0, 2), ("DEQP003",)),
    StayType("abdominal_pain", ("R104",), "06M12T", (0, 2), ("ZCQM001",)),
    StayType("atrial_fibrillation", ("I48",), "05M12T", (1, 4), ("DEQP003",)),
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


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "t2d", "Type 2 diabetes",
        ((20, 0.002, 0.002), (40, 0.02, 0.015), (50, 0.07, 0.04), (60, 0.12, 0.07),
         (70, 0.19, 0.12), (80, 0.21, 0.16), (95, 0.15, 0.12)),
        25, 20, (8, ("E119", "E110", "E116"), 0.75), ("E119", "E110", "E116"), 0.6,
        (Treatment("metformin", 0.8), Treatment("gliclazide", 0.25), Treatment("sitagliptin", 0.2),
         Treatment("dulaglutide", 0.1), Treatment("dapagliflozin", 0.12),
         Treatment("insulin_glargine", 0.15), Treatment("atorvastatin", 0.5)),
        untreated=0.12,
        labs=(("diabetes", 2.5), ("diabetes_annual", 0.8)),
        visits=((GP, 6.0), (ENDOCRINOLOGY, 0.3), (OPHTHALMOLOGY, 0.5), (NURSE, 3.0)),
        acts=(("BGQP007", OPHTHALMOLOGY, 0.4),),
        stays=(("t2d_complication", 0.03),),
        mortality_hr=1.6, death_code="E149",
        codes=('E11',), marker_atc=('A10B',),
    ),
    Condition(
        "t1d", "Type 1 diabetes",
        ((5, 0.001, 0.001), (15, 0.003, 0.003), (40, 0.004, 0.0035), (80, 0.003, 0.003)),
        2, 60, (8, ("E109", "E102"), 0.9), ("E109",), 0.7,
        (Treatment("insulin_glargine", 0.95, 0.9), Treatment("insulin_aspart", 0.95, 0.9)),
        labs=(("diabetes", 3.0), ("diabetes_annual", 0.9)),
        visits=((GP, 4.0), (ENDOCRINOLOGY, 1.5), (OPHTHALMOLOGY, 0.6)),
        acts=(("BGQP007", OPHTHALMOLOGY, 0.5),),
        stays=(("t1d_ketoacidosis", 0.05),),
        mortality_hr=2.0, death_code="E109", frailty=False,
        codes=('E10',), marker_atc=('A10A',),
    ),
    Condition(
        "heart_failure", "Heart failure",
        ((45, 0.001, 0.0008), (55, 0.004, 0.002), (65, 0.012, 0.007), (75, 0.035, 0.025),
         (85, 0.09, 0.075), (95, 0.15, 0.14)),
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
        ((40, 0.002, 0.0005), (50, 0.012, 0.003), (60, 0.04, 0.012), (70, 0.08, 0.03),
         (80, 0.12, 0.06), (95, 0.14, 0.09)),
        35, 20, (13, ("I251", "I209"), 0.65), ("I251",), 0.5,
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
        ((40, 0.002, 0.0015), (50, 0.005, 0.004), (60, 0.012, 0.009), (70, 0.028, 0.02),
         (80, 0.05, 0.042), (95, 0.075, 0.065)),
        30, 15, (1, ("I639", "I64"), 0.45), ("I639", "I694"), 0.5,
        (Treatment("clopidogrel", 0.45), Treatment("aspirin_low", 0.4),
         Treatment("atorvastatin", 0.65), Treatment("apixaban", 0.25)),
        untreated=0.1,
        labs=(("metabolic", 1.0),),
        visits=((GP, 6.0), (NEUROLOGY, 0.6)),
        acts=(("EBQM001", RADIOLOGY, 0.3),),
        onset_stay=("stroke", 0.9),
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
        "eskd", "End-stage kidney disease (dialysis)",
        ((20, 0.0002, 0.0001), (50, 0.0012, 0.0006), (65, 0.0035, 0.0017), (80, 0.004, 0.002),
         (95, 0.002, 0.001)),
        18, 8, (19, ("N185",), 0.95), ("N185",), 0.9,
        (Treatment("epoetin", 0.6, 0.9), Treatment("sevelamer", 0.5)),
        labs=(("kidney", 10.0),),
        visits=((GP, 6.0), (NEPHROLOGY, 2.0)),
        stays=(("dialysis", 150.0),),
        mortality_hr=4.0, death_code="N185",
        codes=('N185', 'Z49'), marker_atc=('B03XA',),
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
        25, 10, (30, ("C509", "C504"), 0.9), ("C509",), 0.7,
        (Treatment("letrozole", 0.45), Treatment("tamoxifen", 0.25)),
        untreated=0.2,
        visits=((GP, 4.0), (GYNAECOLOGY, 1.0)),
        acts=(("QEQK004", RADIOLOGY, 1.0),),
        onset_stay=("breast_surgery", 0.85),
        stays=(("chemotherapy", 2.0),),
        mortality_hr=1.5, death_code="C509", sexes=(2,),
        codes=('C50',), marker_atc=('L02B',),
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


BACKGROUND: tuple[Background, ...] = (
    Background("visit", GP, ((0, 4.0), (16, 3.5), (50, 4.5), (70, 6.0))),
    Background("visit", PAEDIATRICS, ((0, 1.0), (6, 0.2), (16, 0.0))),
    Background("visit", GYNAECOLOGY, ((0, 0.0), (18, 0.6), (65, 0.2)), sexes=(2,)),
    Background("visit", OPHTHALMOLOGY, ((0, 0.2), (16, 0.25), (60, 0.4))),
    Background("visit", CARDIOLOGY, ((0, 0.0), (50, 0.15), (70, 0.3))),
    Background("visit", NURSE, ((0, 0.2), (60, 1.0), (75, 4.0), (85, 10.0))),
    Background("visit", PHYSIOTHERAPIST, ((0, 0.2), (30, 0.8), (65, 1.5))),
    Background("drug", "paracetamol", ((0, 1.5), (60, 2.5))),
    Background("drug", "amoxicillin", ((0, 0.5), (16, 0.3))),
    Background("drug", "ibuprofen", ((0, 0.2), (16, 0.4), (65, 0.2))),
    Background("drug", "omeprazole", ((0, 0.0), (40, 0.5), (65, 1.0))),
    Background("drug", "salbutamol", ((0, 0.03),)),  # acute bronchitis: not asthma
    Background("drug", "furosemide", ((0, 0.0),), chronic_share=0.004, chronic_ages=(70, 120)),
    # Metformin off-label (polycystic ovary syndrome): treated, not diabetic.
    Background("drug", "metformin", ((0, 0.0),), sexes=(2,), chronic_share=0.004,
               chronic_ages=(18, 45)),
    # Primary prevention statins: not coronary patients.
    Background("drug", "atorvastatin", ((0, 0.0),), chronic_share=0.08, chronic_ages=(50, 120)),
    Background("drug", "rosuvastatin", ((0, 0.0),), chronic_share=0.03, chronic_ages=(50, 120)),
    Background("drug", "amlodipine", ((0, 0.0),), chronic_share=0.12, chronic_ages=(45, 120)),
    Background("drug", "sertraline", ((0, 0.0),), chronic_share=0.02,  # anxiety
               chronic_ages=(18, 120)),
    Background("drug", "zolpidem", ((0, 0.0), (30, 0.2), (65, 0.6))),
    Background("drug", "levothyroxine", ((0, 0.0),), sexes=(2,), chronic_share=0.05,
               chronic_ages=(30, 120)),
    Background("lab", "routine", ((0, 0.2), (18, 0.5), (60, 0.9))),
    Background("lab", "metabolic", ((0, 0.0), (18, 0.3), (50, 0.6))),
    Background("lab", "thyroid", ((0, 0.0), (18, 0.15), (50, 0.3))),
    Background("lab", "screening_hba1c", ((0, 0.0), (40, 0.05), (60, 0.1))),
    Background("act", "DEQP003", ((0, 0.0), (40, 0.05), (65, 0.15)), specialty=CARDIOLOGY),
    Background("act", "QEQK004", ((0, 0.0), (50, 0.45), (75, 0.05)), sexes=(2,),
               specialty=RADIOLOGY),
    Background("stay", "appendicitis", ((0, 0.0), (5, 0.0012), (30, 0.0006))),
    Background("stay", "delivery", ((0, 0.0), (18, 0.04), (25, 0.11), (35, 0.05), (43, 0.0)),
               sexes=(2,)),
    Background("stay", "hip_fracture", ((0, 0.0), (65, 0.002), (80, 0.012))),
    Background("stay", "cataract", ((0, 0.0), (60, 0.01), (70, 0.035), (85, 0.02))),
    Background("stay", "colonoscopy", ((0, 0.0), (45, 0.015), (60, 0.03))),
    Background("stay", "chest_pain", ((0, 0.0), (30, 0.002), (60, 0.005))),
    Background("stay", "pneumonia", ((0, 0.001), (65, 0.006), (80, 0.02))),
    Background("stay", "gastroenteritis", ((0, 0.004), (6, 0.001), (75, 0.003))),
    Background("stay", "gallstones", ((0, 0.0), (30, 0.004), (60, 0.006))),
    Background("stay", "knee_arthrosis", ((0, 0.0), (55, 0.004), (65, 0.006), (85, 0.0))),
    Background("stay", "syncope", ((0, 0.002), (60, 0.008), (80, 0.02))),
    Background("stay", "abdominal_pain", ((0, 0.01), (18, 0.015), (65, 0.02))),
    Background("stay", "atrial_fibrillation", ((0, 0.0), (60, 0.008), (75, 0.02))),
    Background("stay", "colonoscopy", ((0, 0.0), (45, 0.02), (60, 0.04))),
)

# Codes of ordinary deaths with no tracked condition behind them.
BACKGROUND_DEATH_CODES = ("I219", "C349", "C189", "J189", "R99", "X59", "I64", "C61")

# Data-quality realism.
INFO_ONLY_SHARE = 0.03  # DCIR lines duplicated "for information" (DPN_QLF = 71)
CORRECTION_SHARE = 0.01  # DCIR lines cancelled by a negative line and billed again
PMSI_BAD_FLAG_SHARE = 0.015  # PMSI stays whose linkage quality flags are not all '0'
