"""French typography in templates: `{% colon %}` writes ":" with the space French puts before it.

A built-in template library (settings.TEMPLATES): every template may use it without {% load %}.
"""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag
def colon() -> str:
    """A colon after a label: "Produit : DCIR" in French (no-break space), "Product: DCIR" in English."""
    return "\u00a0:" if (get_language() or "").startswith("fr") else ":"
