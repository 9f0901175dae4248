"""`hygie serve` (web server and background worker on the embedded defaults) and `hygie manage`."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hygie.web.settings")
    import django

    django.setup()


def _die_with_parent() -> None:
    """In the worker, before it starts (Linux): be stopped when `hygie serve` ends, even killed."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _leave(signum: int, frame: Any) -> NoReturn:
    raise SystemExit(0)  # SIGTERM (a service manager's stop) leaves through `finally`, as Ctrl-C


# One worker per kind of job, so that a long count cannot hold back mail or statistics (and the
# other way round). The last takes every other queue, new ones included.
WORKERS = (["--queue-name", "feasibility"],
           ["--queue-name", "statistics"],
           ["--queue-name", "workspaces"],
           ["--queue-name", "runs"],
           ["--queue-name", "*", "--exclude-queues", "feasibility,statistics,workspaces,runs"])


def _background() -> list[list[str]]:
    """The commands serve runs beside the site: the job workers, and the guichet's calendar.
    The calendar is a loop in a process of its own rather than a job: django-tasks has no
    periodic jobs (a job that queues its next run would be queued again by every start of
    serve), and a process keeps it apart from the web server's threads and dies with serve."""
    from hygie.web.env import env_int

    minutes = env_int("HYGIE_CALENDAR_MINUTES", 60, minimum=1)
    return [*(["db_worker", *queues] for queues in WORKERS),
            ["guichet_calendar", "--every", str(minutes)],
            ["workspaces_upkeep", "--every", "2"]]


def manage(ctx: typer.Context) -> None:
    """Run a Django management command (migrate, createsuperuser, db_worker, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hygie.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hygie manage", *ctx.args])


def _pseudonymisation_secret() -> None:
    """Counts need the pseudonymisation secret: on the embedded defaults, make a development one
    (said once, when made); on a deployment, say that counts wait for the operators' secret."""
    from django.conf import settings

    from hygie.web.devsecret import configured, deployed, local_secret

    path, made = local_secret(settings.HOME, os.environ)
    if path is not None:
        os.environ["HYGIE_PSEUDO_SECRET_FILE"] = str(path)  # the site and its workers
        if made:
            typer.echo(f"Made a development pseudonymisation secret in {path}: for synthetic data "
                       "on this machine only; a deployment sets HYGIE_PSEUDO_SECRET_FILE.")
    elif deployed(os.environ) and not configured(os.environ):
        typer.echo("No pseudonymisation secret (HYGIE_PSEUDO_SECRET_FILE): feasibility counts "
                   "are refused until one is configured.", err=True)


def _demo_lake(people: int, years: str) -> None:
    """On the embedded defaults, give the SNDS entry a synthetic SNDS under HYGIE_HOME, once, so
    that a newcomer's first count has data. Its figures are labelled synthetic on every page and
    export (the lake's manifest names the generator). Never on a deployment."""
    from django.conf import settings

    from hygie.web.catalogue.lake import attach_lake
    from hygie.web.catalogue.models import DatasetVersion
    from hygie.web.devsecret import deployed

    version = (DatasetVersion.objects.filter(dataset__slug="snds").order_by("-number").first())
    if deployed(os.environ) or version is None or version.lake_path:
        return
    from hygie.synth.generator import SynthError, SynthParams, generate, parse_years

    out = Path(settings.HYGIE_LAKE) / "snds-synthetic"
    if not (out / "manifest.json").exists():  # the generator writes the manifest last
        typer.echo(f"Generating a synthetic SNDS ({people:,} people, {years}) in {out} so that "
                   "counts have data; its figures are marked synthetic.")
        try:
            first, last = parse_years(years)
            generate(SynthParams(patients=people, seed=1, first_year=first, last_year=last),
                     out, force=True, workers=1)
        except SynthError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    attach_lake(version, str(out))


def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port."),
          threads: int = typer.Option(8, help="Web server threads."),
          worker: bool = typer.Option(True, "--worker/--no-worker",
                                      help="Also run the background job workers."),
          demo: bool = typer.Option(True, "--demo/--no-demo",
                                    help="Seed an empty catalogue with the demonstration entries "
                                         "(OSCOUR, REIN) beside the SNDS."),
          demo_people: int = typer.Option(5000, min=0,
                                          help="On the embedded defaults, the size of the "
                                               "synthetic SNDS attached to the SNDS entry when it "
                                               "has no data yet (0: none)."),
          demo_years: str = typer.Option("2019-2023", help="The years of that synthetic SNDS.")
          ) -> None:
    """Start the web platform: migrate the database, import the SNDS catalogue when empty, run
    the background workers (counts, statistics, the rest) and serve the site (waitress) until
    interrupted."""
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    _pseudonymisation_secret()
    from hygie.web.catalogue.models import Dataset

    empty = not Dataset.objects.exists()
    call_command("import_snds", if_empty=True)
    if empty and demo:
        call_command("import_demo_catalogue")
    if demo and demo_people:
        _demo_lake(demo_people, demo_years)
    signal.signal(signal.SIGTERM, _leave)
    procs = [subprocess.Popen([sys.executable, "-m", "hygie.cli", "manage", *command],
                              preexec_fn=_die_with_parent)
             for command in (_background() if worker else ())]
    from waitress import serve as waitress_serve

    from hygie.web.wsgi import application

    typer.echo(f"Hygie on http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        waitress_serve(application, host=host, port=port, threads=threads, ident="hygie")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
