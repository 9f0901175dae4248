"""Objections in a real browser against `hygie serve` and its synthetic SNDS: a citizen files an
objection, follows it; the data protection officer (password and TOTP) accepts it; the citizen
sees it accepted and withdraws it; the officer accepts the withdrawal; the citizen sees it
withdrawn. axe-core checks each kind of page, the public ones in French and English."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.helpers import assert_accessible
from tests.web.test_guichet_browser import english, staff_sign_in

pytestmark = pytest.mark.browser

ARRANGE = """
import json
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from hygie.engine.lake import Dataset
from hygie.pseudo.directory import synthetic_nir
from hygie.web.accounts.models import User
from hygie.web.catalogue.models import DatasetVersion
user = User.objects.create_user("walk-dpo", "walk-dpo@example.org", %(password)r,
                                first_name="Dana", last_name="Protection")
user.groups.add(Group.objects.get_or_create(name="dpo")[0])
key = TOTPDevice.objects.create(user=user, name="phone", confirmed=True).key
version = DatasetVersion.objects.filter(dataset__slug="snds").exclude(lake_path="").first()
rows = Dataset.open(version.lake_path).arrow("IR_BEN_R").to_pylist()
row = next(r for r in rows if r["BEN_RES_DPT"].startswith("0")
           and sum(o["BEN_NIR_ANO"] == r["BEN_NIR_ANO"] for o in rows) == 1)
print(json.dumps({"key": key, "nir": synthetic_nir(row), "year": row["BEN_NAI_ANN"],
                  "month": int(row["BEN_NAI_MOI"]), "sex": row["BEN_SEX_COD"],
                  "person": row["BEN_NIR_ANO"]}))
"""

IN_FORCE = """
import datetime as dt
from django.conf import settings
from hygie.pseudo.keys import load_secret
from hygie.pseudo.oppositions import OppositionRegister, opposition_hash
mine = opposition_hash(load_secret(), %(person)r)
reg = OppositionRegister(settings.HYGIE_OPPOSITION_REGISTER)
print(mine in reg.table().column("OPPOSITION_HASH").to_pylist(),
      mine in reg.table(dt.date.today() - dt.timedelta(days=1)).column(
          "OPPOSITION_HASH").to_pylist())
"""


def in_force(site: Any, person: str) -> list[str]:
    """Whether the register leaves `person` out of a count, and of a project authorised
    yesterday."""
    return site.python(IN_FORCE % {"person": person}).strip().splitlines()[-1].split()


def follow(page: Any, url: str, receipt: str, birth: str) -> str:
    page.goto(f"{url}/objection/follow/")
    page.fill("#id_receipt", receipt)
    page.fill("#id_birth_date", birth)
    page.get_by_role("button", name="See the state of my request").click()
    page.wait_for_load_state()
    return page.locator("main").inner_text()


def decide(dpo: Any, url: str, receipt: str, button: str) -> None:
    dpo.goto(f"{url}/objection/desk/")
    dpo.get_by_role("link", name=receipt).click()
    dpo.wait_for_url(re.compile(r"/objection/desk/\d+/$"))
    assert_accessible(dpo)
    dpo.locator("input[name=person]").first.check(force=True)
    dpo.get_by_role("button", name=button).click()
    dpo.wait_for_url(re.compile(r"/objection/desk/$"))
    assert "accepted" in dpo.locator("main").inner_text()


def test_an_objection_from_filing_to_withdrawal(site, browser, page):
    facts = json.loads(site.python(ARRANGE % {"password": PASSWORD}).strip().splitlines()[-1])
    birth = dt.date(facts["year"], facts["month"], 9).isoformat()
    spaced = " ".join(re.findall(r".{1,3}", facts["nir"]))

    # The public pages read well in French, the site's first language.
    for path in ("/objection/", "/objection/object/"):
        page.goto(site.url + path)
        assert_accessible(page)
    assert "opposer" in page.locator("main").inner_text()

    # A citizen objects, in English.
    english(page, site.url)
    page.goto(f"{site.url}/objection/")
    assert_accessible(page)
    page.get_by_role("link", name="Make an objection").click()
    page.wait_for_url(re.compile(r"/objection/object/$"))
    page.fill("#id_family_name", "Martin")
    page.fill("#id_given_names", "Claire")
    page.fill("#id_birth_date", birth)
    page.locator(f"input[name=sex][value='{facts['sex']}']").check(force=True)
    page.fill("#id_nir", spaced)
    page.locator("#id_confirm").check(force=True)
    page.get_by_role("button", name="Send my objection").click()
    page.wait_for_url(re.compile(r"/objection/receipt/$"))
    assert_accessible(page)
    receipt = page.locator(".receipt").inner_text()
    assert re.fullmatch(r"OPP-[2-9A-HJKMNP-Z]{12}", receipt)
    text = follow(page, site.url, receipt, birth)
    assert "Received, being examined" in text
    assert_accessible(page)

    # The data protection officer accepts it, in a browser of their own.
    officer = browser.new_context(locale="fr-FR")
    dpo = officer.new_page()
    dpo.set_default_timeout(20_000)
    staff_sign_in(dpo, site.url, "walk-dpo", facts["key"], "/objection/desk/")
    assert receipt in dpo.locator("main").inner_text()
    assert_accessible(dpo)
    decide(dpo, site.url, receipt, "Accept the objection")
    assert in_force(site, facts["person"]) == ["True", "True"]

    # The citizen sees it accepted, and withdraws it.
    assert "Request accepted" in follow(page, site.url, receipt, birth)
    assert_accessible(page)
    page.get_by_role("link", name="Withdraw this objection").click()
    page.wait_for_url(re.compile(r"/objection/withdraw/$"))
    page.fill("#id_receipt", receipt)
    page.fill("#id_birth_date", birth)
    page.fill("#id_nir", facts["nir"])
    page.locator("#id_confirm").check(force=True)
    page.get_by_role("button", name="Send my withdrawal").click()
    page.wait_for_load_state()
    assert "Your withdrawal request is recorded" in page.locator("main").inner_text()
    assert_accessible(page)

    # The officer accepts the withdrawal: it applies to authorisations from today.
    dpo.goto(f"{site.url}/objection/desk/")
    withdrawal = re.search(r"OPP-\w{12}(?=\s+Withdrawal)", dpo.locator("main").inner_text())
    assert withdrawal is not None, dpo.locator("main").inner_text()
    decide(dpo, site.url, withdrawal.group(0), "Accept the withdrawal")
    officer.close()
    assert in_force(site, facts["person"]) == ["False", "True"]
    assert "Objection withdrawn" in follow(page, site.url, receipt, birth)
    assert "Martin" not in site.python(
        "from hygie.web.objections.models import ObjectionRequest as R\n"
        "print(list(R.objects.values_list('family_name', 'nir')))")
