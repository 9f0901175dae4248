from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hygie.catalogue.dcat_import import MAX_BYTES, TIMEOUT, DcatImportError, format_of, parse_within
from hygie.web.dcat.importer import import_datasets


class Command(BaseCommand):
    help = ("Import another portal's DCAT-AP catalogue (Turtle, JSON-LD or RDF/XML) as draft "
            "datasets; a second import of the same catalogue updates rather than duplicates.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="The catalogue file (.ttl, .jsonld, .rdf...).")
        parser.add_argument("--format", help="turtle, json-ld or xml (default: from the file's name).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        max_bytes = getattr(settings, "HYGIE_DCAT_IMPORT_MAX_BYTES", MAX_BYTES)
        timeout = getattr(settings, "HYGIE_DCAT_IMPORT_SECONDS", TIMEOUT)
        try:
            with path.open("rb") as file:
                data = file.read(max_bytes + 1)  # one byte past the limit tells it is over
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            datasets = parse_within(data, format_of(path.name, options["format"]),
                                    max_bytes=max_bytes, timeout=timeout)
            report = import_datasets(datasets, source=path.name)
        except DcatImportError as exc:
            raise CommandError(f"{path.name}: nothing imported:\n  "
                               + "\n  ".join(exc.problems)) from None
        self.stdout.write(f"{path.name}: {report}")
        for title, slugs in (("created", report.created), ("updated", report.updated),
                             ("kept", report.kept)):
            if slugs:
                self.stdout.write(f"  {title}: {', '.join(slugs)}")
