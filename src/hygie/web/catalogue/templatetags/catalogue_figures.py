"""Template tags of the dataset page's figures: the statistics panel and the relations diagram."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from hygie.web.catalogue.diagram import RelationsView, relations_view, render
from hygie.web.catalogue.statistics_views import Panel, panel

register = template.Library()


@register.simple_tag
def statistics_panel(version: Any, can_edit: bool) -> Panel | None:
    """`{% statistics_panel version can_edit as panel %}`"""
    return panel(version, bool(can_edit))


@register.simple_tag
def relations_of(version: Any, asked: str | None = None) -> RelationsView | None:
    """`{% relations_of version request.GET.relations as relations %}`"""
    return relations_view(version, asked or None)


@register.simple_tag
def relations_svg(view: RelationsView) -> str:
    """The diagram of the chosen product, titled for the page's language."""
    d = view.diagram
    title = _("Relations between the tables of %(product)s") % {"product": view.product}
    desc = _("Each box is a table and links to its page; each arrow goes from a table to the "
             "table its key refers to. Dashed boxes are tables of other products. The list "
             "below gives the same relations as text.")
    return render(d, "relations-diagram", title, desc)


@register.simple_tag
def relation_rows(view: RelationsView) -> list[tuple[Any, Any, tuple[str, ...]]]:
    """(referencing node, referenced node, keys) for the text alternative."""
    nodes = {n.name: n for n in view.diagram.nodes}
    return [(nodes[e.source], nodes[e.target], e.keys) for e in view.diagram.edges]
