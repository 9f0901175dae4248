"""Equivalent spellings of common search terms, in French and English (data only).

Where it comes from: written by hand for Hygie from the wording the catalogue itself uses, so that
a term typed in either language reaches the French labels:
- CIM-10 category titles (ATIH's French edition) beside the WHO ICD-10 English titles
  (e.g. "Tumeur maligne" / "Malignant neoplasm", "Insuffisance cardiaque" / "Heart failure");
- the vocabulary of the SNDS tables and variables (séjour, prestation, bénéficiaire, décès...);
- common French medical abbreviations (AVC, IDM, HTA, BPCO, IRC).

Each line is one set of equivalent terms separated by "|": a search for any of them also finds
the others. A term may have several words ("accident vasculaire cérébral"); matching ignores case,
accents and a final plural. Keep the sets small and unambiguous: a wide set floods the results.
"""

SYNONYMS = (
    # Care and stays
    "hospitalisation | hospitalization | hospital stay | séjour | inpatient stay",
    "hôpital | hospital | établissement de santé",
    "urgences | emergency | emergency department",
    "consultation | visit",
    "médecin | physician | doctor",
    "infirmier | nurse",
    "pharmacie | pharmacy",
    "médicament | drug | medicine | medication | medicinal product",
    "ordonnance | prescription",
    "remboursement | reimbursement",
    "bénéficiaire | beneficiary | patient",
    "arrêt de travail | sick leave",
    "vaccin | vaccine | vaccination",
    "biologie | laboratory test | lab test",
    # Life events
    "décès | death | mortality | mortalité | deceased",
    "naissance | birth",
    "accouchement | delivery | childbirth",
    "grossesse | pregnancy | pregnant | enceinte",
    "âge | age",
    "sexe | sex | gender",
    "enfant | child | children",
    # Conditions (CIM-10 French titles and their ICD-10 English ones)
    "diabète | diabetes",
    "cancer | tumeur maligne | malignant neoplasm | malignant tumour | malignant tumor",
    "sein | breast",
    "poumon | lung",
    "cœur | coeur | heart",
    "rein | kidney",
    "insuffisance cardiaque | heart failure | cardiac failure",
    "insuffisance rénale | kidney failure | renal failure | IRC",
    "infarctus du myocarde | myocardial infarction | heart attack | IDM",
    "accident vasculaire cérébral | AVC | stroke | cerebrovascular accident",
    "hypertension | hypertension artérielle | HTA | high blood pressure",
    "bronchopneumopathie chronique obstructive | BPCO | COPD",
    "dialyse | dialysis",
    "hémodialyse | haemodialysis | hemodialysis",
    "asthme | asthma",
    "obésité | obesity",
    "dépression | depression | épisode dépressif | depressive episode",
    "démence | dementia",
    "maladie d'Alzheimer | Alzheimer's disease | Alzheimer",
    "chirurgie | surgery",
)
