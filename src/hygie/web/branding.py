"""The deployment's look: the French State's design system (DSFR) or a plain theme, named in settings.

The DSFR (its fonts, the Marianne block and its colours) may be used only by the French State's
own sites (its terms of use; see docs/operations.md). The HDH runs it: it is the default. Any other
deployment, such as another country's health data access body, sets HYGIE_THEME=plain: the pages
keep the same markup, styled by Hygie's own stylesheet with the operator's name, logo and colour,
and nothing of the State's identity is loaded.

Everything here is read from the environment once, at start-up.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

THEMES = ("dsfr", "plain")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Brand:
    theme: str  # "dsfr" or "plain"
    name: str  # the service's name, in the header and the page titles
    tagline: str  # one line under the name; empty for the default, translated, tagline
    operator: str  # who runs the site (legal notice, footer, plain theme's header)
    block: tuple[str, ...]  # the DSFR block's lines ("République", "Française"); DSFR only
    logo: str  # the operator's logo (an address or a path under /static/); may be empty
    colour: str  # the plain theme's main colour (#rrggbb); the DSFR's are fixed

    @property
    def state(self) -> bool:
        """The French State's identity is shown (fonts, Marianne block, icons)."""
        return self.theme == "dsfr"


def from_environment(env: os._Environ[str] | dict[str, str] = os.environ) -> Brand:
    theme = env.get("HYGIE_THEME", "dsfr").strip().lower()
    if theme not in THEMES:
        raise ValueError(f"HYGIE_THEME must be one of {', '.join(THEMES)}")
    colour = env.get("HYGIE_BRAND_COLOUR", "#000091").strip()
    if not _COLOUR.fullmatch(colour):  # it goes into a stylesheet: nothing but a colour
        raise ValueError("HYGIE_BRAND_COLOUR must be a colour written #rrggbb, like #000091")
    block = env.get("HYGIE_BRAND_BLOCK", "République|Française")
    return Brand(
        theme=theme,
        name=env.get("HYGIE_SITE_NAME", "Hygie").strip() or "Hygie",
        tagline=env.get("HYGIE_SITE_TAGLINE", "").strip(),
        operator=env.get("HYGIE_OPERATOR", "").strip(),
        block=tuple(line.strip() for line in block.split("|") if line.strip()),
        logo=env.get("HYGIE_BRAND_LOGO", "").strip(),
        colour=colour,
    )


DEFAULT_TAGLINE = _("Health data for research, in one place")


def context(request: HttpRequest) -> dict[str, object]:
    """Template context processor: `brand` on every page."""
    from django.conf import settings

    brand: Brand = settings.HYGIE_BRAND
    return {"brand": brand, "brand_tagline": brand.tagline or DEFAULT_TAGLINE}
