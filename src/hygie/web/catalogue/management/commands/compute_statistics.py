from django.core.management.base import BaseCommand, CommandError

from hygie.web.catalogue.models import DatasetVersion
from hygie.web.catalogue.tasks import (
    NoLakeAttached,
    new_command_token,
    request_statistics,
    run_statistics,
)


class Command(BaseCommand):
    help = ("Compute the statistics of a dataset version from its attached lake dataset: queue a "
            "job for the worker, or with --wait run it here and wait for the result.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version means the dataset's version here, not Django's (which would conflict).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="Dataset identifier (slug), e.g. snds.")
        parser.add_argument("--version", type=int, help="Version number (default: the latest).")
        parser.add_argument("--wait", action="store_true",
                            help="Compute in this process, show progress, fail on error.")

    def handle(self, *args, **options):
        versions = DatasetVersion.objects.filter(dataset__slug=options["dataset"])
        if options["version"]:
            versions = versions.filter(number=options["version"])
        version = versions.select_related("dataset").order_by("-number").first()
        if version is None:
            raise CommandError(f"no version of dataset {options['dataset']!r}"
                               + (f" numbered {options['version']}" if options["version"] else ""))
        token = new_command_token() if options["wait"] else None
        try:
            stats = request_statistics(version, via="compute_statistics", token=token)
        except NoLakeAttached as exc:
            raise CommandError(f"{exc}; attach one first (hygie manage attach_lake)") from None
        if token is None:
            self.stdout.write(f"statistics of {version} queued (run the worker: "
                              "hygie manage db_worker --queue-name statistics)")
            return

        def show(percent: int, step: str) -> None:
            self.stdout.write(f"{percent:3d}% {step}")

        try:
            outcome = run_statistics(version.pk, token, on_progress=show)
        except Exception as exc:
            stats.refresh_from_db()
            raise CommandError(f"statistics of {version} failed: {stats.error or exc}") from None
        if outcome != "done":
            raise CommandError(f"statistics of {version}: {outcome} by a newer request")
        stats.refresh_from_db()
        result = stats.result
        self.stdout.write(f"statistics of {version} done: {result.get('individuals')} individuals, "
                          f"{result.get('records')} records")
