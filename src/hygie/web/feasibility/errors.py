"""Why a count could not run, in the reader's language (stored as a code, shown translated)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from hygie.web.problems import lines


def count_error_message(error: dict[str, Any], dataset: Any = None) -> str:
    code, detail = error.get("code", ""), str(error.get("detail", ""))
    name = str(dataset) if dataset is not None else _("this dataset")
    if code == "no_lake":
        return _("No data are attached to the published version of %(dataset)s yet: counts are "
                 "not available on it.") % {"dataset": name}
    if code == "no_published_version":
        return _("%(dataset)s has no published version: counts run on published data only.") % {
            "dataset": name}
    if code == "lake_unreadable":
        return _("The data of %(dataset)s cannot be read at the moment. Please try again later or "
                 "contact the platform team.") % {"dataset": name}
    if code == "missing_tables":
        return _("The definition reads tables absent from the data of %(dataset)s: %(tables)s.") % {
            "dataset": name, "tables": detail}
    if code == "no_secret":
        return _("The platform's pseudonymisation secret is not configured, so counts cannot be "
                 "released. Please contact the platform team.")
    if code == "budget_day":
        return _("You have used the %(n)s counts you may ask for in 24 hours. Counts are limited "
                 "so that small groups cannot be estimated by averaging many of them; please try "
                 "again tomorrow.") % {"n": settings.HYGIE_COUNT_BUDGET_DAY}
    if code == "budget_total":
        return _("You have used all %(n)s counts of your account. Please contact the platform "
                 "team if your project needs more.") % {"n": settings.HYGIE_COUNT_BUDGET_TOTAL}
    if code == "variants":
        return _("You have already counted %(n)s variants of this definition that differ only in "
                 "their codes. Counts are limited so that small groups cannot be estimated by "
                 "averaging many of them; choose among the variants already counted, or contact "
                 "the platform team.") % {"n": settings.HYGIE_COUNT_VARIANTS}
    if code == "timeout":
        return _("The count took longer than the %(seconds)s seconds a count may take, and was "
                 "stopped. Narrow the definition (fewer criteria or codes, a shorter period) and "
                 "try again.") % {"seconds": detail}
    if code == "too_big":
        return _("The count needed more than the %(mb)s MB of memory a count may use, and was "
                 "stopped. Narrow the definition (fewer criteria or codes, a shorter period) and "
                 "try again.") % {"mb": detail}
    if code == "definition":
        found = error.get("problems")  # (place, message) pairs, shown in the reader's language
        if isinstance(found, list) and all(isinstance(p, list) and len(p) == 2 for p in found):
            detail = _("; ").join(lines((str(p), str(m)) for p, m in found))
        return _("The definition is no longer valid: %(problems)s") % {"problems": detail}
    return _("The count failed unexpectedly. The platform team can see what happened in the "
             "logs; please try again later.")
