"""The register's Atom feed: files as they are received, and their decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hygie.web.register import labels
from hygie.web.register.entries import Entry, entry, public, today, with_history

ITEMS = 50


@dataclass(frozen=True)
class Item:
    entry: Entry
    kind: str  # "received" or "decided"
    at: datetime


class RegisterFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("Register of access applications")
    subtitle = gettext_lazy("Applications as they are received, and the decisions taken on them.")

    def link(self) -> str:
        return reverse("register:list")

    def items(self) -> list[Item]:
        day = today()
        files = with_history(public())
        received = files.order_by("-received", "-pk")[:ITEMS]
        decided = files.filter(decided__isnull=False).order_by("-decided", "-pk")[:ITEMS]
        items = [Item(entry(a, day), "received", a.received) for a in received]
        items += [Item(entry(a, day), "decided", a.decided) for a in decided]
        items.sort(key=lambda i: (i.at, i.entry.pk), reverse=True)
        return items[:ITEMS]

    def item_title(self, item: Item) -> str:
        if item.kind == "received":
            return _("Received: %(title)s") % {"title": item.entry.title}
        return _("%(decision)s: %(title)s") % {
            "decision": item.entry.decision.label if item.entry.decision else
            item.entry.stage_label, "title": item.entry.title}

    def item_description(self, item: Item) -> str:
        """HTML (Atom's summary type="html"): every text escaped, one line each."""
        e = item.entry
        lines = [f"{e.reference} · {e.procedure_label}", labels.said(_("Data controller"),
                                                                     e.controller)]
        if item.kind == "received":
            lines.append(e.lay_summary or e.purpose)
        else:
            lines += [labels.said(f.label, f.value) for f in e.decision_facts]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines if line))

    def item_link(self, item: Item) -> str:
        # The fragment makes the two entries of a file (received, decided) two Atom ids.
        return f"{item.entry.url}#{item.kind}"

    def item_pubdate(self, item: Item) -> datetime:
        return item.at

    def item_updateddate(self, item: Item) -> datetime:
        return item.at
