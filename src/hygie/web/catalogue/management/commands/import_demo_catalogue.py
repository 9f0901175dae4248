from django.core.management.base import BaseCommand

from hygie.web.catalogue.demo import ENTRIES, load_demo


class Command(BaseCommand):
    help = ("Add the demonstration entries beside the SNDS (OSCOUR, REIN) with their holders, "
            "published; datasets that already have a version are left alone.")

    def add_arguments(self, parser):
        parser.add_argument("--draft", action="store_true", help="Leave the versions in draft.")

    def handle(self, *args, **options):
        versions = load_demo(publish=not options["draft"])
        for version in versions:
            self.stdout.write(f"imported {version}: {version.tables.count()} tables "
                              f"({version.get_status_display()})")
        if len(versions) < len(ENTRIES):
            self.stdout.write(f"{len(ENTRIES) - len(versions)} already in the catalogue")
