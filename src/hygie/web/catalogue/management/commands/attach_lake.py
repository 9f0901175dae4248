from django.core.management.base import BaseCommand, CommandError

from hygie.web.catalogue.lake import AttachError, attach_lake
from hygie.web.catalogue.models import DatasetVersion


class Command(BaseCommand):
    help = "Attach a lake dataset folder to a catalogue version (its latest when no --version)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version means the dataset's version here, not Django's (which would conflict).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="Dataset identifier (slug), e.g. snds.")
        parser.add_argument("path", help="Lake dataset folder (with manifest.json).")
        parser.add_argument("--version", type=int, help="Version number.")

    def handle(self, *args, **options):
        versions = DatasetVersion.objects.filter(dataset__slug=options["dataset"])
        if options["version"]:
            versions = versions.filter(number=options["version"])
        version = versions.order_by("-number").first()
        if version is None:
            raise CommandError(f"no version of dataset {options['dataset']!r}")
        try:
            lake = attach_lake(version, options["path"])
        except AttachError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"attached {lake.path} to {version}")
