"""From an authorisation to data in the workspace, against the extraction alone.

The platform's path: the CNIL agent's decision is stored through the guichet (`act`), which
freezes the scope, opens the workspace and queues its provisioning; a job worker already running
(`hygie manage db_worker --queue-name workspaces`, as `hygie serve` runs it) takes the job,
extracts, and marks the workspace ready. The time is the wall clock from the decision's call to
the moment the database says the extraction is done, polled every 0.1 s.

The reference, side by side on the same data and scope: `hygie.extract.run.extract` called
directly (the extraction alone, no web, no queue). Requirement: the platform's path takes at most
5 minutes, and at most 1.3 times the extraction alone.

Usage: python bench/workspace_bench.py [--data bench/out/synth-1000000] [--repeat 2] [--record]
The database is SQLite in a scratch HYGIE_HOME (bench/out/workspace-bench), made afresh each run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- workspace-bench:start -->", "<!-- workspace-bench:end -->"
SECRET_HEX = "5e" * 32
# Metformin dispensed in 2021: about 4% of the population, the size the issue names (40,000 of 1M).
COHORT = """name: metformin_2021
title: Metformin dispensed in 2021
period: {start: 2021-01-01, end: 2021-12-31}
codelists:
  metformin: {system: ATC, codes: ["A10BA02"]}
entry:
  any_of:
    - dispensed: metformin
"""
VARIABLES = ["IR_BEN_R.BEN_SEX_COD", "IR_BEN_R.BEN_NAI_ANN", "IR_BEN_R.BEN_RES_DPT",
             "ER_PRS_F.EXE_SOI_DTD", "ER_PRS_F.PRS_NAT_REF", "ER_PRS_F.PRS_ACT_QTE",
             "ER_PHA_F.PHA_PRS_C13", "ER_PHA_F.PHA_ACT_QSN",
             "IR_IMB_R.MED_MTF_COD", "IR_IMB_R.IMB_ALD_DTD",
             "T_MCO21B.DGN_PAL", "T_MCO21B.SEJ_NBJ"]
PERIOD = (dt.date(2019, 1, 1), dt.date(2023, 12, 31))


def setup(home: Path, data: Path) -> None:
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    os.environ.update(HYGIE_HOME=str(home), HYGIE_PSEUDO_SECRET=SECRET_HEX,
                      HYGIE_WORKSPACES=str(home / "workspaces"),
                      HYGIE_OPPOSITION_REGISTER=str(home / "oppositions.parquet"),
                      DJANGO_SETTINGS_MODULE="hygie.web.settings")
    os.environ.pop("HYGIE_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from hygie.web.catalogue.lake import attach_lake
    from hygie.web.catalogue.models import DatasetVersion, Status
    from hygie.web.catalogue.seed import load_snds

    call_command("migrate", verbosity=0)
    load_snds()
    attach_lake(DatasetVersion.objects.get(dataset__slug="snds", status=Status.PUBLISHED), data)


def people() -> dict[str, object]:
    from django.contrib.auth.models import Group

    from hygie.web.accounts.models import User

    out: dict[str, object] = {}
    for name, role in (("applicant", None), ("agent", "secretariat"), ("rapporteur", "cesrees"),
                       ("cnil", "cnil")):
        user = User.objects.create_user(name, f"{name}@example.org", "x" * 16)
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        out[name] = user
    return out


def file_at_the_cnil(who: dict[str, object], n: int) -> object:
    """A complete file, its cohort saved, reviewed up to the CNIL (outside the timing)."""
    sys.path.insert(0, str(ROOT))
    from tests.web.guichet_files import complete_file, on_agenda

    from hygie.web.catalogue.models import Dataset
    from hygie.web.feasibility import services
    from hygie.web.guichet.workflow import act

    cohort = services.create_cohort(who["applicant"], Dataset.objects.get(slug="snds"),
                                    f"Metformin {n}", COHORT)
    file = complete_file(who["applicant"], cohort=cohort, variables=VARIABLES,
                         period_start=PERIOD[0], period_end=PERIOD[1])
    act(file.pk, who["applicant"], "submit")
    act(file.pk, who["agent"], "forward_to_cesrees")
    on_agenda(file, who["rapporteur"], day=dt.date.today().isoformat())
    act(file.pk, who["rapporteur"], "cesrees_opinion",
        {"opinion": "favourable", "reasons": "Sound."})
    return file


def platform_path(file: object, cnil: object) -> tuple[float, dict]:
    from hygie.web.guichet.workflow import act
    from hygie.web.workspaces.models import Extraction

    start = time.perf_counter()
    act(file.pk, cnil, "cnil_authorisation",  # type: ignore[attr-defined]
        {"scope": "Metformin users", "conditions": "On the platform",
         "until": dt.date.today() + dt.timedelta(days=700)})
    while True:
        extraction = Extraction.objects.filter(workspace__application=file).first()
        if extraction is not None and extraction.state in ("done", "failed"):
            break
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if extraction.state != "done":
        raise SystemExit(f"the extraction failed: {extraction.error}")
    return seconds, extraction.provenance


def extraction_alone(data: Path, home: Path, n: int) -> float:
    from hygie.engine.lake import Dataset
    from hygie.extract.run import extract
    from hygie.pseudo.keys import Secret
    from hygie.pseudo.oppositions import OppositionRegister
    from hygie.workspace.provision import Authorised, write_scope

    tables: dict[str, list[str]] = {}
    for variable in VARIABLES:
        table, _, column = variable.partition(".")
        tables.setdefault(table, []).append(column)
    authorised = Authorised(project=f"BENCH-{n}", cohort=COHORT, tables=tables, start=PERIOD[0],
                            end=PERIOD[1], authorised_on=dt.date.today())
    scope = write_scope(authorised, home / f"alone-{n}" / "scope")
    start = time.perf_counter()
    extract(scope, Dataset.open(data), home / f"alone-{n}" / "extract",
            secret=Secret(bytes.fromhex(SECRET_HEX)),
            register=OppositionRegister(home / "oppositions.parquet"),
            authorised_on=dt.date.today())
    return time.perf_counter() - start


def record(result: dict) -> None:
    r = result
    lines = [START, "", f"Machine: {r['machine']}. Data: {r['data']} ({r['patients']:,} patients, "
             f"{r['years']}). Scope: a cohort of {r['cohort_people']:,} people (metformin "
             f"dispensed in 2021), 5 tables ({', '.join(r['tables'])}), {r['rows']:,} rows "
             f"released, 2019-2023. Command: `python bench/workspace_bench.py --repeat "
             f"{r['repeat']} --record`, {r['date']}, load average {r['load']:.2f} at the start; "
             "median of the runs, each pair run side by side.", "",
             "| path | seconds (median) | runs | ratio to the extraction alone | requirement |",
             "|---|---:|---|---:|---|",
             f"| extraction alone (`hygie.extract.run.extract`) | {r['alone']:.1f} | "
             f"{', '.join(f'{x:.1f}' for x in r['alone_runs'])} | 1.00 | |",
             f"| authorisation decision -> workspace ready (guichet, job queue, worker) | "
             f"{r['platform']:.1f} | {', '.join(f'{x:.1f}' for x in r['platform_runs'])} | "
             f"{r['platform'] / r['alone']:.2f} | at most 300 s and 1.3x: "
             f"{'met' if r['platform'] <= 300 and r['platform'] / r['alone'] <= 1.3 else 'NOT met'}"
             " |", "", END]
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if START in text:
        head, rest = text.split(START, 1)
        text = head + "\n".join(lines) + rest.split(END, 1)[1]
    else:
        text = (text.rstrip() + "\n\n## From an authorisation to data (`bench/workspace_bench.py`)"
                "\n\n" + "\n".join(lines) + "\n")
    DOC.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=BENCH / "out" / "synth-1000000")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    data = args.data.resolve()
    home = BENCH / "out" / "workspace-bench"
    setup(home, data)
    sys.path.insert(0, str(BENCH))
    from engine_bench import machine

    load = os.getloadavg()[0]
    worker = subprocess.Popen([sys.executable, "-m", "hygie.cli", "manage", "db_worker",
                               "--queue-name", "workspaces", "--interval", "0.1",
                               "--no-startup-delay"],
                              env=os.environ.copy(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    who = people()
    platform_runs, alone_runs, provenance = [], [], {}
    try:
        for n in range(args.repeat):
            file = file_at_the_cnil(who, n)
            if n % 2:  # alternate which goes first: neither always meets a warm cache
                seconds, provenance = platform_path(file, who["cnil"])
                alone_runs.append(extraction_alone(data, home, n))
            else:
                alone_runs.append(extraction_alone(data, home, n))
                seconds, provenance = platform_path(file, who["cnil"])
            platform_runs.append(seconds)
            print(f"run {n + 1}: alone {alone_runs[-1]:.1f} s, platform {seconds:.1f} s")
    finally:
        worker.terminate()
        worker.wait(30)
    manifest = json.loads((data / "manifest.json").read_text())
    params = manifest["source"]["parameters"]
    result = {
        "machine": machine(), "load": load, "date": time.strftime("%Y-%m-%d %H:%M"),
        "data": str(args.data), "patients": params["patients"],
        "years": f"{params.get('first_year')}-{params.get('last_year')}",
        "repeat": args.repeat, "cohort_people": provenance.get("released_people", 0),
        "tables": sorted({v.split(".")[0] for v in VARIABLES}),
        "rows": sum(t["rows_released"] for t in provenance.get("tables", {}).values()),
        "alone": statistics.median(alone_runs), "alone_runs": alone_runs,
        "platform": statistics.median(platform_runs), "platform_runs": platform_runs}
    print(json.dumps(result, indent=1))
    out = BENCH / "results" / "workspace.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    if args.record:
        record(result)


if __name__ == "__main__":
    main()
