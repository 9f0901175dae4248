from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hygie.catalogue.dcat_import import DcatImportError, format_of, parse
from hygie.web.dcat.importer import import_datasets


class Command(BaseCommand):
    help = ("Import another portal's DCAT-AP catalogue (Turtle, JSON-LD or RDF/XML) as draft "
            "datasets; a second import of the same catalogue updates rather than duplicates.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="The catalogue file (.ttl, .jsonld, .rdf...).")
        parser.add_argument("--format", help="turtle, json-ld or xml (default: from the file's name).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            datasets = parse(data, format_of(path.name, options["format"]))
            report = import_datasets(datasets, source=path.name)
        except DcatImportError as exc:
            raise CommandError(f"{path.name}: nothing imported:\n  "
                               + "\n  ".join(exc.problems)) from None
        self.stdout.write(f"{path.name}: {report}")
        for title, slugs in (("created", report.created), ("updated", report.updated),
                             ("kept", report.kept)):
            if slugs:
                self.stdout.write(f"  {title}: {', '.join(slugs)}")
