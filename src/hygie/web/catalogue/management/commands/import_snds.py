from django.core.management.base import BaseCommand

from hygie.web.catalogue.models import Dataset
from hygie.web.catalogue.seed import SNDS_SLUG, load_snds


class Command(BaseCommand):
    help = "Import the packaged SNDS description (188 tables, their code lists) as a new version."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the SNDS is already in the catalogue.")
        parser.add_argument("--draft", action="store_true", help="Leave the version in draft.")

    def handle(self, *args, **options):
        if options["if_empty"] and Dataset.objects.filter(slug=SNDS_SLUG).exists():
            return
        version = load_snds(publish=not options["draft"])
        self.stdout.write(f"imported {version}: {version.tables.count()} tables")
