"""Dated tariffs and coding of French outpatient care, for the DCIR claims of the generator.

A tariff is a list of dated steps: from its date, an act is coded with a nature of benefit
(PRS_NAT_REF, code list IR_NAT_V) and priced at a key-letter value; the act costs the value times
its coefficient (AMI 4, AMK 7.5, the B coefficients of a lab panel). Values are those of
metropolitan France, sector 1 (no extra fees), from the NGAP and the national agreements
(conventions) between the Assurance Maladie and each profession, as published by ameli.fr and the
Journal officiel. Values marked "approx." are rounded orders of magnitude, not checked against
the legal text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

EPOCH = dt.date(1970, 1, 1)

# Natures of benefit (IR_NAT_V): code -> PRS_NAT_CB2 letter.
NAT_C, NAT_G, NAT_CS = 1111, 1110, 1112  # consultation C, G (general practice), CS (specialist)
NAT_AMI, NAT_AMK, NAT_B = 3111, 3122, 3211  # nurse, physiotherapist, biology
NAT_IMAGING, NAT_TECHNICAL = 1351, 1352  # CCAM imaging, other CCAM technical acts
# Pharmacy natures by reimbursement rate: 65% PH7, 100% PH1, 15% PH2.
NAT_PHARMACY = {65: 3313, 100: 3311, 15: 3341}

# Refund rates of the compulsory scheme (RGO_REM_TAU), percent, outside any exoneration:
# doctors' fees 70%, auxiliaries (nurses, physiotherapists) and labs 60% (Code de la sécurité
# sociale, art. R160-5; ameli.fr "Les taux de remboursement").
RATE_DOCTOR, RATE_AUXILIARY, RATE_LAB = 70, 60, 60

# Motif of exoneration (EXO_MTF, code list IR_EXO_V): 42 is "bénéficiaire atteint d'une maladie
# liste - affection en rapport", the care of an ALD on the list, refunded at 100%.
EXO_NONE, EXO_ALD = 0, 42
# Drugs refunded at 15% (low medical benefit) keep that rate in an ALD: the exoneration does
# not cover them.
NOT_EXONERATED_DRUG_RATE = 15


@dataclass(frozen=True)
class Step:
    start: dt.date
    nature: int  # PRS_NAT_REF
    value: float  # euros per unit of the key letter
    source: str


@dataclass(frozen=True)
class Tariff:
    what: str
    coefficient: float  # units of the key letter per act (1 for a consultation)
    steps: tuple[Step, ...]  # in date order

    def on(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nature and key-letter value on each day (before the first step: the first step)."""
        starts = np.array([(s.start - EPOCH).days for s in self.steps])
        i = np.maximum(np.searchsorted(starts, days, side="right") - 1, 0)
        return (np.array([s.nature for s in self.steps])[i],
                np.array([s.value for s in self.steps])[i])


GP_CONSULTATION = Tariff("general practitioner's consultation in the surgery", 1, (
    Step(dt.date(2002, 7, 1), NAT_C, 20.00, "approx.: C of the 2002 agreement"),
    Step(dt.date(2006, 8, 1), NAT_C, 21.00, "approx.: convention médicale 2005, amendment"),
    Step(dt.date(2007, 7, 1), NAT_C, 22.00, "approx.: convention médicale 2005, amendment"),
    Step(dt.date(2011, 1, 1), NAT_C, 23.00, "convention médicale 2005, C at 23 EUR"),
    Step(dt.date(2017, 5, 1), NAT_G, 25.00,
         "convention médicale 2016 (arrêté 20 Oct 2016, JO 23 Oct 2016): G replaces C, 25 EUR"),
    Step(dt.date(2023, 11, 1), NAT_G, 26.50,
         "règlement arbitral 2023 (arrêté 28 Apr 2023): G at 26.50 EUR"),
    Step(dt.date(2024, 12, 22), NAT_G, 30.00,
         "convention médicale 2024 (arrêté 20 Jun 2024, JO 21 Jun 2024): G at 30 EUR"),
))

# A specialist seen within the coordinated care pathway bills CS + MPC + MCS, one line here.
SPECIALIST_CONSULTATION = Tariff("specialist's coordinated consultation (CS + MPC + MCS)", 1, (
    Step(dt.date(2006, 1, 1), NAT_CS, 28.00, "approx.: CS 23 + MPC 2 + MCS 3 EUR"),
    Step(dt.date(2017, 7, 1), NAT_CS, 30.00,
         "convention médicale 2016: MCS at 5 EUR, CS 23 + MPC 2 + MCS 5 = 30 EUR; the "
         "specialty-specific raises of 2023-2025 are not modelled"),
))

# A nursing visit: AMI 4 (e.g. a heavy dressing), an assumption for the typical session.
NURSE_VISIT = Tariff("nursing session, AMI 4", 4, (
    Step(dt.date(2002, 1, 1), NAT_AMI, 2.90, "approx.: AMI before the 2007 agreement"),
    Step(dt.date(2007, 7, 1), NAT_AMI, 3.00, "convention infirmière 2007: AMI at 3.00 EUR"),
    Step(dt.date(2009, 4, 15), NAT_AMI, 3.15,
         "convention infirmière 2007, amendment 1: AMI at 3.15 EUR (unchanged since)"),
))

# A physiotherapy session: AMK 7.5 (the usual musculoskeletal session).
PHYSIOTHERAPY_SESSION = Tariff("physiotherapy session, AMK 7.5", 7.5, (
    Step(dt.date(2006, 1, 1), NAT_AMK, 2.04, "approx.: AMK before 2012"),
    Step(dt.date(2012, 7, 15), NAT_AMK, 2.15,
         "convention des masseurs-kinésithérapeutes, amendment 3 (30 Nov 2011): AMK 2.15 EUR"),
    Step(dt.date(2024, 2, 22), NAT_AMK, 2.21,
         "convention des masseurs-kinésithérapeutes, amendment 7 (JO 25 Aug 2023): AMK 2.21 EUR"),
))

# Lab: the B letter; a panel costs the sum of its tests' B coefficients times B.
B_LETTER = Tariff("biology, B letter", 1, (
    Step(dt.date(2006, 1, 1), NAT_B, 0.27, "NABM: B at 0.27 EUR in metropolitan France"),
))

# B coefficient of each NABM test the generator bills (approx.: rounded from the NABM).
NABM_B: dict[int, int] = {
    1577: 20,  # HbA1c
    552: 5,  # glucose
    592: 7,  # creatinine (with eGFR)
    996: 20,  # lipid panel (EAL)
    1104: 25,  # blood count
    1804: 8,  # C-reactive protein
    1208: 26,  # TSH
    1821: 70,  # natriuretic peptides (BNP / NT-proBNP)
    1610: 12,  # electrolytes
    1133: 25,  # microalbuminuria
    127: 10,  # prothrombin time with INR
}

# A CCAM act in town: one flat price (not dated; the CCAM tariff of each act is not modelled).
ACT_PRICE = 52.0
