"""Benchmarks of the data engine on a synthetic SNDS, each against a reference run side by side.

1. Re-keying a claims table: Hygie's extraction path (the person map restricted to the people
   pseudonymised, with their PSEUDO_ID, materialised; then ER_PRS_F joined to it once) against a
   plain join of the same table to a (BEN_NIR_PSA, BEN_RNG_GEM) -> PSEUDO_ID mapping precomputed
   outside the timing. Both compute the same rows: DuckDB into a temporary table, Spark through
   its `noop` writer. Requirement: at most 1.3x.
2. Hashing the distinct person identifiers: HMAC-SHA256 in DuckDB SQL (and Spark local) against
   Python's `hmac` on the same values.
3. Targeting: cohort definitions compiled by `hygie.cohorts` against equivalent hand-written
   queries in the same process (requirement: at most 1.1x); see bench/cohort_bench.py.

Usage: python bench/engine_bench.py [--data bench/out/synth-1000000] [--record]
       [--engines duckdb,spark] [--measures rekey,hashing,targeting]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlglot import exp

from hygie.engine.engines import DuckDBEngine, Engine, SparkEngine
from hygie.engine.lake import Dataset
from hygie.pseudo.keys import Secret
from hygie.pseudo.pseudonyms import build_mapping
from hygie.snds.persons import cohort_maps, linked
from hygie.snds.views import attach_snds

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- engine-bench:start -->", "<!-- engine-bench:end -->"
SECRET = Secret(bytes(range(32)))
KEY = SECRET.project_key("bench")


def timed(fn, repeat: int) -> float:
    """Median wall time of `repeat` runs (after one warm-up run)."""
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def rekey(engine: Engine, repeat: int) -> dict:
    """Re-key all of ER_PRS_F to project pseudonyms as an extraction does (`hygie.extract`): the
    person map restricted to the people pseudonymised (here, everyone) with their PSEUDO_ID, then
    one join; against one join to a mapping precomputed outside the timing."""
    build_mapping(engine, "PSEUDONYMS", exp.select("PERSON_KEY").from_("PERSON_MAP"), KEY)
    engine.materialize("PRECOMPUTED", "SELECT m.BEN_NIR_PSA, m.BEN_RNG_GEM, p.PSEUDO_ID "
                                      "FROM PERSON_MAP m JOIN PSEUDONYMS p USING (PERSON_KEY)")
    maps = cohort_maps("PSEUDONYMS", ["ER_PRS_F"])
    hygie = exp.select("l.PSEUDO_ID", "l.EXE_SOI_DTD", "l.PRS_NAT_REF", "l.PRS_ACT_QTE").from_(
        linked("ER_PRS_F", pseudonyms="PSEUDONYMS").subquery("l"))
    plain = ("SELECT p.PSEUDO_ID, t.EXE_SOI_DTD, t.PRS_NAT_REF, t.PRS_ACT_QTE FROM ER_PRS_F t "
             "JOIN PRECOMPUTED p ON p.BEN_NIR_PSA = t.BEN_NIR_PSA AND p.BEN_RNG_GEM = t.BEN_RNG_GEM")

    def product() -> None:
        for name, query in maps.items():
            engine.materialize(name, query)
        sink(engine, hygie)

    rows = int(engine.scalar("SELECT count(*) FROM ER_PRS_F"))
    t_hygie = timed(product, repeat)
    t_plain = timed(lambda: sink(engine, plain), repeat)
    for name in ("SINK", *maps):
        engine.drop(name)
    return {"rows": rows, "hygie_s": t_hygie, "plain_join_s": t_plain,
            "ratio": t_hygie / t_plain}


def sink(engine: Engine, query: exp.Expression | str) -> None:
    """Compute every row of `query` and keep none. DuckDB: a temporary table (in memory). Spark:
    the `noop` writer, which runs the whole plan: caching the 76M re-keyed rows in the driver's
    memory, as `materialize` does, measured the spill to disk instead (stopped after 40 min)."""
    if isinstance(engine, SparkEngine):
        engine.frame(query).write.format("noop").mode("overwrite").save()
    else:
        engine.materialize("SINK", query)


def hashing(engine: Engine, repeat: int, python: bool) -> dict:
    ids = engine.arrow("SELECT DISTINCT PERSON_KEY FROM PERSON_MAP").column(0).to_pylist()
    engine.register_arrow("IDS", __import__("pyarrow").table({"PERSON_KEY": ids}))
    q = exp.select(exp.alias_(engine.hmac_sha256(KEY, exp.column("PERSON_KEY")), "H")).from_("IDS")
    t_sql = timed(lambda: engine.materialize("HASHED", q), repeat)
    out = {"ids": len(ids), "engine_s": t_sql, "engine_per_s": len(ids) / t_sql}
    if python:
        t_py = timed(lambda: [hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest() for v in ids],
                     repeat)
        out.update(python_s=t_py, python_per_s=len(ids) / t_py)
    engine.drop("HASHED")
    return out


def targeting(engine: Engine, repeat: int) -> list[dict] | None:
    try:
        from cohort_bench import compare  # bench/cohort_bench.py, next to this file
    except ImportError:
        return None
    return compare(engine, repeat)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), "?")
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    return (f"`nproc` {subprocess.check_output(['nproc']).decode().strip()} ({cpu}), "
            f"{mem:.1f} GB RAM, Python {platform.python_version()}")


def record(results: dict) -> None:
    """Rewrite the section of docs/benchmarks.md. Each measure keeps the machine, load average,
    date and repetitions of the run that made it: engines are often measured apart."""
    measures = [m for r in results["engines"].values() for m in r.values() if isinstance(m, dict)]
    machines = sorted({m.get("machine", "?") for m in measures})
    lines = [START, "## Data engine (`hygie.engine`, `hygie.pseudo`, `hygie.cohorts`)", "",
             f"Machine{'s' if len(machines) > 1 else ''}: {'; '.join(machines)}. "
             f"Data: {results['data']} ({results['patients']:,} patients). "
             "Command: `python bench/engine_bench.py --engines ENGINE --measures MEASURES "
             "--repeat RUNS --record` (each run replaces the measures it makes). Median of the "
             "runs after a warm-up; each row gives its machine, the load average at its start, "
             "its date and its number of runs.", "",
             "| measure | engine (machine, load, date, runs) | Hygie (s) | reference (s) | ratio "
             "| requirement |",
             "|---|---|---:|---:|---:|---|"]

    def where(name: str, m: dict) -> str:
        cpu = m.get("machine", "? (?), ").split(" (", 1)[-1].split("), ", 1)[0]
        return (f"{name} ({cpu}, {m.get('load', 0):.1f}, {m.get('date', '?')}, "
                f"{m.get('repeat', '?')})")

    for name, r in results["engines"].items():
        rk = r.get("rekey")
        if rk:
            lines.append(f"| re-key ER_PRS_F ({rk['rows']:,} rows) | {where(name, rk)} | "
                         f"{rk['hygie_s']:.2f} | {rk['plain_join_s']:.2f} (plain join to a "
                         f"precomputed mapping) | {rk['ratio']:.2f} | "
                         f"<= 1.3 {'yes' if rk['ratio'] <= 1.3 else 'NO'} |")
        runs_tg = r.get("targeting") or []
        for tg in ([runs_tg] if isinstance(runs_tg, dict) else runs_tg):
            ref = "hand-written Spark SQL" if name == "spark" else "hand-written DuckDB SQL"
            lines.append(f"| targeting `{tg['cohort']}` ({tg['people']:,} people, same: "
                         f"{'yes' if tg['same_people'] else 'NO'}) | {where(name, tg)} | "
                         f"{tg['hygie_s']:.2f} | {tg['hand_s']:.2f} ({ref}) | {tg['ratio']:.2f} | "
                         f"<= 1.1 {'yes' if tg['ratio'] <= 1.1 else 'NO'} |")
    lines += ["", "| hashing distinct identifiers | ids | engine ids/s | Python `hmac` ids/s |",
              "|---|---:|---:|---:|"]
    for name, r in results["engines"].items():
        h = r.get("hashing")
        if not h:
            continue
        py = f"{h['python_per_s']:,.0f}" if "python_per_s" in h else "-"
        lines.append(f"| HMAC-SHA256 in {name} SQL | {h['ids']:,} | {h['engine_per_s']:,.0f} | {py} |")
    lines.append(END)
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if START in text:
        head, rest = text.split(START, 1)
        text = head + "\n".join(lines) + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + "\n".join(lines) + "\n"
    DOC.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=BENCH / "out" / "synth-1000000")
    ap.add_argument("--patients", type=int, default=1_000_000, help="generated if --data is absent")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", default="duckdb", help="comma-separated: duckdb,spark")
    ap.add_argument("--measures", default="rekey,hashing,targeting",
                    help="comma-separated: rekey,hashing,targeting")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--rerecord", action="store_true",
                    help="only rewrite the section from bench/results/engine.json")
    args = ap.parse_args()
    out = BENCH / "results" / "engine.json"
    if args.rerecord:
        record(json.loads(out.read_text()))
        return
    if not (args.data / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "hygie.cli", "synth", "--patients", str(args.patients),
                        "--out", str(args.data), "--force"], check=True)
    ds = Dataset.open(args.data)
    # Each engine's measures replace that engine's previous ones; the others are kept.
    results = json.loads(out.read_text()) if out.exists() else {"engines": {}}
    results.update({"data": str(args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT)
                                else args.data),
                    "patients": ds.manifest["source"]["parameters"]["patients"]})
    measures = set(args.measures.split(","))
    for name in args.engines.split(","):
        cls = {"duckdb": DuckDBEngine, "spark": SparkEngine}[name]
        # Spark local gets the memory a laptop can spare; DuckDB takes its default (80% of RAM).
        eng = SparkEngine(config={"spark.driver.memory": "8g"}) if cls is SparkEngine else cls()
        r = dict(results["engines"].get(name, {}))
        run = {"machine": machine(), "load": os.getloadavg()[0],
               "date": time.strftime("%Y-%m-%d %H:%M"), "repeat": args.repeat}
        try:
            attach_snds(eng, ds)
            if "rekey" in measures:
                r["rekey"] = {**rekey(eng, args.repeat), **run}
            if "hashing" in measures:
                r["hashing"] = {**hashing(eng, args.repeat, python=name == "duckdb"), **run}
            if "targeting" in measures:
                tg = targeting(eng, args.repeat)
                if tg:
                    r["targeting"] = [{**t, **run} for t in tg]
            results["engines"][name] = r
            print(name, json.dumps(r, indent=1), flush=True)
        finally:
            eng.close()
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(results, indent=1))
    if args.record:
        record(results)


if __name__ == "__main__":
    main()
