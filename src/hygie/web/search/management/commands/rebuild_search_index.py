import time

from django.core.management.base import BaseCommand
from django.db import transaction

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.search.index import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the catalogue search index from scratch (datasets, tables, variables, codes)."

    def handle(self, *args, **options):
        start = time.perf_counter()
        with transaction.atomic():
            count = rebuild_index()
            record(Action.SEARCH_INDEX_REBUILT, None, rows=count)
        self.stdout.write(f"indexed {count} entries in {time.perf_counter() - start:.1f} s")
