"""How compilation grows with the number of criteria (issue 10: 800 criteria stalled the worker).

Times `Cohort.from_yaml` + `compile` + the attrition SQL for definitions of N `require`
criteria (the shape of the attack: one criterion repeated through a YAML alias), and prints the
time per criterion: constant when compilation is linear.

    .venv/bin/python bench/compile_bench.py [--sizes 100 200 400 800] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from hygie.cohorts.model import Cohort

BASE = """name: bench
title: compile
period: {start: 2019-01-01, end: 2022-12-31}
codelists:
  f: {system: CIM10, codes: [F009]}
  d: {system: ATC, codes: [A10BA02]}
entry:
  any_of:
    - hospitalised_for: f
require:
  - &r {dispensed: d}
"""


def seconds(n: int, repeat: int) -> float:
    text = BASE + "  - *r\n" * (n - 1)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        cohort = Cohort.from_yaml(text)
        cohort.compile()
        cohort.sql("duckdb", attrition=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400, 800])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| criteria | seconds (best of runs) | ms per criterion |")
    print("|---:|---:|---:|")
    for n in args.sizes:
        s = seconds(n, args.repeat)
        print(f"| {n} | {s:.2f} | {1000 * s / n:.1f} |")


if __name__ == "__main__":
    main()
