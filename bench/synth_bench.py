"""Benchmark of the synthetic SNDS generator (`hygie synth`), see bench/README.md.

For each patient count, in the same run: (1) `hygie synth` as a subprocess: wall time, rows from
the manifest, patients/s, rows/s, peak memory of the whole process tree; (2) the write limit: the
same Parquet parts read back and written again with `write_parquet` by a pool of as many processes
as the generator's workers, only the writes timed; (3) tsfaker (HDH's tool) generating the same
tables from the same Table Schema files, capped at --tsfaker-cap rows per table, as rows/s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from graphlib import TopologicalSorter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hygie.engine.lake import Dataset, write_parquet
from hygie.snds.schemas import DATA_ROOT, load_schemas
from proctree import TreeSampler

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TSF_VENV = BENCH / ".venv-tsfaker"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- synth-bench:start -->", "<!-- synth-bench:end -->"
GB = 1 << 30


def generate(gen_cmd: list[str], n: int, args: argparse.Namespace, out: Path) -> dict:
    cmd = [*gen_cmd, "--patients", str(n), "--seed", "1", "--years", args.years, "--out", str(out),
           "--force", *(["--workers", str(args.workers)] if args.workers else [])]
    timefile = out.parent / f"synth-{n}.time"
    timefile.unlink(missing_ok=True)
    if Path("/usr/bin/time").exists():  # GNU time: max RSS of one process, CPU s of the tree
        cmd = ["/usr/bin/time", "-f", "%M %U %S", "-o", str(timefile), *cmd]
    print("$", shlex.join(cmd), file=sys.stderr, flush=True)
    with open(out.parent / f"synth-{n}.log", "w") as log:
        load, t0 = os.getloadavg(), time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        sampler.done.set()
    if rc:
        sys.exit(f"generation failed ({rc}); see {log.name}")
    ds = Dataset.open(out)
    rows = {t: ds.rows(t) for t in ds.tables}
    kb, user, system = timefile.read_text().split()[-3:] if timefile.exists() else (0, 0, 0)
    return {"seconds": wall, "rows": sum(rows.values()), "tables": rows,
            "files": sum(len(ds.files(t)) for t in ds.tables),
            "bytes": sum(f.stat().st_size for t in ds.tables for f in ds.files(t)),
            "patients_per_s": n / wall, "rows_per_s": sum(rows.values()) / wall,
            "peak_rss_tree": sampler.rss, "peak_pss_tree": sampler.pss,
            "peak_rss_one_process": int(kb) * 1024 or None, "max_processes": sampler.procs,
            "cpu_seconds": float(user) + float(system) or None, "load_before": load,
            "schema_issues": schema_issues(ds)}


def schema_issues(ds: Dataset) -> list[str]:
    """Tables whose Parquet schema differs from the SNDS schema (names, order, Arrow types).
    Parquet has no second-unit timestamp, so timestamp[s] is expected back as timestamp[ms]."""
    schemas, issues = load_schemas(), []
    for table in (t for t in ds.tables if ds.files(t)):
        if table not in schemas:
            issues.append(f"{table}: no SNDS schema")
            continue
        got = pq.read_schema(ds.files(table)[0]).remove_metadata()
        want = pa.schema([f.with_type(pa.timestamp("ms")) if f.type == pa.timestamp("s") else f
                          for f in schemas.table(table).arrow_schema()])
        if not got.equals(want):
            diff = [f"{f.name}: {f.type}" for f in got
                    if f.name not in want.names or want.field(f.name).type != f.type]
            missing = [n for n in want.names if n not in got.names]
            issues.append(f"{table}: unexpected {diff[:5]}, missing {missing[:5]}")
    return issues


def _write_part(job: tuple[str, str]) -> tuple[int, int, float]:
    src, dst = job
    table = pq.read_table(src)  # not timed
    t0 = time.perf_counter()
    write_parquet(table, Path(dst))
    return os.getpid(), table.num_rows, time.perf_counter() - t0


def write_limit(ds: Dataset, workers: int, scratch: Path) -> dict:
    """Rewrite every part with write_parquet in a pool of `workers` processes, one part at a time
    per process. Only write_parquet is timed; the limit's time is the busiest process's total."""
    shutil.rmtree(scratch, ignore_errors=True)
    jobs = []
    for table in ds.tables:
        (scratch / table).mkdir(parents=True)
        jobs += [(f.stat().st_size, str(f), str(scratch / table / f.name)) for f in ds.files(table)]
    jobs.sort(reverse=True)  # largest first, for balance
    busy: dict[int, float] = defaultdict(float)
    rows = 0
    t0 = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for pid, n, secs in pool.imap_unordered(_write_part, [j[1:] for j in jobs]):
            busy[pid] += secs
            rows += n
    wall = time.perf_counter() - t0
    shutil.rmtree(scratch, ignore_errors=True)
    makespan = max(busy.values(), default=0.0)
    return {"workers": workers, "rows": rows, "seconds": makespan, "rows_per_s": rows / makespan,
            "write_seconds_total": sum(busy.values()), "wall_with_reads": wall}


def tsfaker_python() -> Path:
    py = TSF_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TSF_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-r",
                        str(BENCH / "tsfaker-requirements.txt")], check=True)
    return py


def tsfaker(ds: Dataset, cap: int, scratch: Path) -> dict:
    """tsfaker on the same tables' schemas: same row counts capped at `cap`, rows/s per table."""
    schemas = load_schemas()
    rows = {t: ds.rows(t) for t in ds.tables if ds.rows(t) > 0 and t in schemas}
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "schemas").mkdir(parents=True)
    (scratch / "csv").mkdir()
    deps, dropped = {}, []
    for table in rows:  # the only adaptation: concrete names, foreign keys within the dataset
        schema = schemas.table(table)
        raw = json.loads((DATA_ROOT / "schemas" / schema.source).read_text(encoding="utf-8"))
        raw["name"], keep = table, []
        for fk, parsed in zip(raw.get("foreignKeys") or [], schema.foreign_keys, strict=True):
            fk["reference"]["resource"] = parsed.table  # T_MCOaaB -> T_MCO21B in a yearly table
            if parsed.table in rows and parsed.table != table:
                keep.append(fk)
            else:
                dropped.append(f"{table}({','.join(parsed.fields)}) -> {parsed.table}")
        raw.pop("foreignKeys", None)
        if keep:  # tsfaker rejects an empty list
            raw["foreignKeys"] = keep
        deps[table] = {fk["reference"]["resource"] for fk in keep}
        (scratch / "schemas" / f"{table}.json").write_text(json.dumps(raw), encoding="utf-8")
    order = list(TopologicalSorter(deps).static_order())
    spec = {"schemas": str(scratch / "schemas"), "out": str(scratch / "csv"), "seed": 1,
            "tables": [[t, min(rows[t], cap)] for t in order]}
    (scratch / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    print(f"tsfaker: {len(order)} tables, at most {cap} rows each", file=sys.stderr, flush=True)
    per = {}
    with (scratch / "tsfaker.log").open("w") as log, subprocess.Popen(
            [tsfaker_python(), BENCH / "tsfaker_driver.py", scratch / "spec.json"],
            stdout=subprocess.PIPE, stderr=log, text=True) as proc:
        for line in proc.stdout or ():
            r = json.loads(line)
            per[r["table"]] = {**r, "rows_per_s": r["rows"] / r["seconds"]}
            print(f"  {r['table']}: {r['rows']} rows in {r['seconds']:.1f} s", file=sys.stderr)
    if proc.returncode:
        sys.exit(f"tsfaker failed; see {log.name}")
    made, secs = sum(r["rows"] for r in per.values()), sum(r["seconds"] for r in per.values())
    full = sum(rows[t] / per[t]["rows_per_s"] for t in per)  # projected time for all the rows
    return {"cap": cap, "rows": made, "seconds": secs, "rows_per_s_measured": made / secs,
            "projected_seconds_full": full, "rows_per_s": sum(rows.values()) / full,
            "dropped_foreign_keys": dropped, "tables": per}


def machine() -> dict:
    cpu = re.search(r"^model name\s*:\s*(.*)$", Path("/proc/cpuinfo").read_text(), re.M)
    mem = re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M)
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu.group(1) if cpu else "?",
            "ram_gb": round(int(mem.group(1)) / (1 << 20), 1) if mem else None,
            "python": platform.python_version(), "platform": platform.platform()}


def fmt(value: float | None, spec: str = ",.0f", suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def markdown(runs: dict) -> str:
    ok = {True: "yes", False: "**NO**"}
    gen = ["| patients | years | workers | tables | rows | time (s) | CPU (s) | patients/s | rows/s "
           "| peak RSS tree / PSS tree / one process (GB) |", "|" + "---:|" * 10]
    cmp = ["| patients | write limit rows/s | gen / limit (>= 0.30) | tsfaker rows/s "
           "| gen / tsfaker (>= 50) | gen per worker / tsfaker | RSS <= 4 GB |", "|" + "---:|" * 7]
    for n, r in sorted(runs.items(), key=lambda kv: int(kv[0])):
        g, w, t = r["generation"], r.get("write_limit"), r.get("tsfaker")
        one = g["peak_rss_one_process"] and g["peak_rss_one_process"] / GB
        gen.append(f"| {int(n):,} | {r['years']} | {r['workers']} | {len(g['tables'])} "
                   f"| {g['rows']:,} | {g['seconds']:.1f} | {fmt(g.get('cpu_seconds'), '.1f')} "
                   f"| {g['patients_per_s']:,.0f} "
                   f"| {g['rows_per_s']:,.0f} | {g['peak_rss_tree'] / GB:.2f} / "
                   f"{g['peak_pss_tree'] / GB:.2f} / {fmt(one, '.2f')} |")
        ratio = g["rows_per_s"] / w["rows_per_s"] if w else None
        speed = g["rows_per_s"] / t["rows_per_s"] if t else None
        cmp.append(f"| {int(n):,} | {fmt(w and w['rows_per_s'])} "
                   f"| {fmt(ratio, '.2f', ratio and ' ' + ok[ratio >= 0.30])} "
                   f"| {fmt(t and t['rows_per_s'])} "
                   f"| {fmt(speed, ',.0f', speed and 'x ' + ok[speed >= 50])} "
                   f"| {fmt(speed and speed / r['workers'], ',.0f', 'x')} "
                   f"| {ok[g['peak_rss_tree'] <= 4 * GB]} |")
    big = max(runs, key=int)
    tsf = (runs[big].get("tsfaker") or {}).get("tables", {})
    per = ["| table | rows | tsfaker rows/s |", "|---|---:|---:|"]
    per += [f"| {table} | {rows:,} | {fmt(tsf.get(table, {}).get('rows_per_s'))} |"
            for table, rows in runs[big]["generation"]["tables"].items()]
    issues = [f"- {int(n):,} patients: {i}" for n, r in runs.items()
              for i in r["generation"]["schema_issues"]] or ["- none"]
    how = [f"- {int(n):,} patients, {r['date']}, code {r['git']}: `{r['command']}`"
           for n, r in sorted(runs.items(), key=lambda kv: int(kv[0])) if "command" in r]
    return "\n".join(["### Generation", "", *gen, "", "### Against the write limit and tsfaker",
                      "", *cmp, "", f"### Tables ({int(big):,} patients)", "", *per, "",
                      "Parquet schema differences from the SNDS schemas:", "", *issues, "",
                      "Runs:", "", *how])


def record(results: dict) -> None:
    m = results["machine"]
    section = "\n".join([
        START, "## Synthetic SNDS generation (`hygie synth`)", "",
        f"Machine: `nproc` {m['nproc']} ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}, "
        f"{m['platform']}. Method and caveats: [bench/README.md](../bench/README.md).", "",
        markdown(results["runs"]), END])
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else (
        "# Benchmarks\n\nMeasured numbers. Each section is rewritten by its script with "
        "`--record`, and names the machine and the command that reproduces it.\n")
    if START in text and END in text:
        text = text[:text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--years", default="2019-2023")
    p.add_argument("--workers", type=int, help="passed to hygie synth (default: nproc)")
    p.add_argument("--out", type=Path, default=BENCH / "out", help="scratch folder")
    p.add_argument("--tsfaker-cap", type=int, default=50_000, help="max rows per table (0: skip)")
    p.add_argument("--no-write-limit", action="store_true")
    p.add_argument("--results", type=Path, default=BENCH / "results" / "synth.json")
    p.add_argument("--record", action="store_true", help="rewrite docs/benchmarks.md")
    p.add_argument("--generator", default=str(ROOT / ".venv" / "bin" / "hygie") + " synth",
                   help="generation command (for testing the harness with a stand-in)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = json.loads(args.results.read_text()) if args.results.exists() else {"runs": {}}
    results["machine"] = machine()
    git = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    for n in args.patients:
        out = (args.out / f"synth-{n}").absolute()
        workers = args.workers or len(os.sched_getaffinity(0))
        run = {"years": args.years, "workers": workers, "date": time.strftime("%Y-%m-%d %H:%M"),
               "git": git, "command": "python bench/synth_bench.py " + shlex.join(sys.argv[1:]),
               "generation": generate(shlex.split(args.generator), n, args, out)}
        if not args.no_write_limit:
            run["write_limit"] = write_limit(Dataset.open(out), workers, args.out / f"wl-{n}")
        if args.tsfaker_cap:
            run["tsfaker"] = tsfaker(Dataset.open(out), args.tsfaker_cap, args.out / f"tsf-{n}")
        results["runs"][str(n)] = run
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(results, indent=1), encoding="utf-8")
        print(markdown({str(n): run}), flush=True)
    if args.record:
        record(results)


if __name__ == "__main__":
    main()
