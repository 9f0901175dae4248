"""Web benchmark: the site under concurrent load, page kind by page kind, against /healthz.

1. A dedicated PostgreSQL database (`hygie_bench` on 127.0.0.1:5432, user postgres, trust auth)
   is created, migrated and given the whole SNDS catalogue (`hygie manage import_snds`, timed).
2. `hygie serve --no-worker` serves it with waitress on loopback, as in production (the job
   worker is left out: nothing is queued, and it would only poll).
3. Locust (headless, FastHttpUser, closed loop without think time, `bench/web_locustfile.py`)
   drives one page kind at a time for the same duration and the same number of users: /healthz
   (a minimal view through the whole middleware stack), catalogue search (several queries in
   turn), the SNDS dataset page, a large table page (ER_PRS_F). Each response is checked for a
   marker of the right page.
4. Throughput is reported as requests/s and as a ratio to /healthz measured in the same run;
   latency as p50/p99 (Locust's percentiles, rounded to 2 significant digits above 100 ms);
   errors as counts. The database is dropped at the end.

Load generator and server share the machine (2 cores here): the figures are a floor, and the
ratios are the comparable part. The load average is recorded before and after each page kind.

Usage: python bench/web_bench.py [--users 8] [--duration 20] [--threads 8] [--record]
       python bench/web_bench.py --rerecord --note "..."   (rewrite the section from the results)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- web-bench:start -->", "<!-- web-bench:end -->"
PG = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "hygie_bench"
SCENARIOS = [  # locust user class, what it loads
    ("HealthzUser", "`/healthz` (minimal view, baseline)"),
    ("SearchUser", "catalogue search (6 queries in turn: diabète, séjour, prescription, ...)"),
    ("DatasetUser", "SNDS dataset page `/catalogue/snds/` (188 tables)"),
    ("TableUser", "table page `/catalogue/snds/v1/tables/ER_PRS_F/`"),
]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), "?")
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    with psycopg.connect(PG) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return (f"`nproc` {len(os.sched_getaffinity(0))} ({cpu}), {mem:.1f} GB RAM, "
            f"Python {platform.python_version()}, PostgreSQL {pg}")


def admin(sql: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("the server did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.5)


def load(url: str, user_class: str, users: int, seconds: int, out: Path) -> dict:
    """One Locust run; the aggregated row of its CSV."""
    prefix = out / user_class
    before = os.getloadavg()[0]
    subprocess.run([sys.executable, "-m", "locust", "-f", str(BENCH / "web_locustfile.py"),
                    "--headless", "--only-summary", "-u", str(users), "-r", str(users),
                    "-t", f"{seconds}s", "--stop-timeout", "5", "--host", url,
                    "--csv", str(prefix), "--loglevel", "WARNING", user_class],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    after = os.getloadavg()[0]
    with open(f"{prefix}_stats.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]), "p50_ms": float(row["50%"]),
            "p99_ms": float(row["99%"]), "mean_ms": float(row["Average Response Time"]),
            "load_before": before, "load_after": after}


def record(results: dict) -> None:
    base = results["scenarios"]["HealthzUser"]["rps"]
    lines = [START, "## Web platform (`hygie serve`, PostgreSQL)", "",
             f"Machine: {results['machine']}. Command: `{results['command']}` ({results['date']}, code "
             f"{results['git']}). Site: `hygie serve --no-worker --threads {results['threads']}` "
             f"(waitress) on loopback, database `{DB}` with the whole SNDS catalogue "
             f"(import: {results['import_s']:.0f} s). Load: Locust, {results['users']} users "
             f"without think time, {results['duration']} s per page kind, on the same machine.",
             "",
             "| page | requests | errors | requests/s | ratio to /healthz | p50 (ms) | p99 (ms) "
             "| load average before / after |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for cls, label in SCENARIOS:
        r = results["scenarios"][cls]
        lines.append(f"| {label} | {r['requests']:,} | {r['failures']:,} | {r['rps']:,.1f} | "
                     f"{r['rps'] / base:.3f} | {r['p50_ms']:,.0f} | {r['p99_ms']:,.0f} | "
                     f"{r['load_before']:.1f} / {r['load_after']:.1f} |")
    lines += ["", f"Locust and the server share the machine's {os.cpu_count()} cores, so the "
              "absolute figures are a floor and the ratios are the comparable part. "
              + results["note"], END]
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = text[:text.index(START)] + "\n".join(lines) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--users", type=int, default=8, help="concurrent Locust users")
    ap.add_argument("--duration", type=int, default=20, help="seconds per page kind")
    ap.add_argument("--threads", type=int, default=8, help="waitress threads")
    ap.add_argument("--record", action="store_true", help="rewrite the section of "
                    "docs/benchmarks.md")
    ap.add_argument("--note", default="", help="a sentence added under the table (--record)")
    ap.add_argument("--rerecord", action="store_true", help="only rewrite the section from "
                    "bench/results/web.json (e.g. with a --note), without running")
    args = ap.parse_args()
    saved = BENCH / "results" / "web.json"
    if args.rerecord:
        results = json.loads(saved.read_text())
        results["note"] = args.note or results.get("note", "")
        saved.write_text(json.dumps(results, indent=1))
        record(results)
        return
    home = Path(tempfile.mkdtemp(prefix="hygie-web-bench-"))
    env = {**os.environ, "HYGIE_HOME": str(home), "HYGIE_SECRET_KEY": secrets.token_urlsafe(50),
           "HYGIE_DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
           "HYGIE_LOG_LEVEL": "ERROR", "DJANGO_SETTINGS_MODULE": "hygie.web.settings"}
    hygie = [sys.executable, "-m", "hygie.cli"]
    results: dict = {"machine": machine(), "users": args.users, "duration": args.duration,
                     "threads": args.threads, "scenarios": {},
                     "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
                     "git": subprocess.run(["git", "-C", str(ROOT), "describe", "--always",
                                            "--dirty"], capture_output=True, text=True)
                     .stdout.strip() or "?"}
    admin(f"DROP DATABASE IF EXISTS {DB}")
    admin(f"CREATE DATABASE {DB}")
    server = None
    try:
        results["migrate_s"] = run([*hygie, "manage", "migrate", "--verbosity", "0"], env)
        results["import_s"] = run([*hygie, "manage", "import_snds"], env)
        print(f"migrate {results['migrate_s']:.1f} s, import_snds {results['import_s']:.1f} s",
              flush=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*hygie, "serve", "--port", str(port), "--threads",
                                   str(args.threads), "--no-worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=(home / "server.log").open("w"))
        wait_until_up(url, server, home / "server.log")
        for path in ["/catalogue/snds/", "/catalogue/snds/v1/tables/ER_PRS_F/",
                     "/catalogue/search/?q=diab%C3%A8te"]:  # warm-up: templates, caches
            urllib.request.urlopen(f"{url}{path}", timeout=120).read()
        for cls, label in SCENARIOS:
            r = load(url, cls, args.users, args.duration, home)
            results["scenarios"][cls] = r
            print(f"{label}: {json.dumps(r)}", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        shutil.rmtree(home, ignore_errors=True)
    results["note"] = args.note
    results["command"] = (f"python bench/web_bench.py --users {args.users} --duration "
                          f"{args.duration} --threads {args.threads} --record")
    saved.parent.mkdir(exist_ok=True)
    saved.write_text(json.dumps(results, indent=1))
    if args.record:
        record(results)


if __name__ == "__main__":
    main()
