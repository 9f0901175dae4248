"""Targeting benchmark: a compiled cohort against the equivalent hand-written query.

The definitions and hand-written SQL are the ones the tests check for equal results
(tests/test_cohorts.py): type 2 diabetes treated with metformin (two dispensations within a year,
adults) and a first hospitalisation for heart failure. Both sides run in the same process on the
same engine, and must return the same people. On Spark the hand-written side is native
Spark SQL (HAND_METFORMIN_SPARK), not a translation. Used by bench/engine_bench.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_cohorts import HAND_METFORMIN, HAND_METFORMIN_SPARK, T2D_METFORMIN

from hygie.cohorts import Cohort
from hygie.engine.engines import Engine, SparkEngine


def _median(fn, repeat: int) -> tuple[float, object]:
    result = fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), result


def compare(engine: Engine, repeat: int) -> dict:
    cohort = Cohort.from_yaml(T2D_METFORMIN)
    t_hygie, people = _median(lambda: cohort.people(engine), repeat)
    if isinstance(engine, SparkEngine):  # hand-written in Spark's own dialect, run natively
        t_hand, hand = _median(lambda: engine.spark.sql(HAND_METFORMIN_SPARK).toArrow(), repeat)
    else:
        t_hand, hand = _median(lambda: engine.arrow(HAND_METFORMIN), repeat)
    same = sorted(people.column(0).to_pylist()) == sorted(hand.column(0).to_pylist())
    return {"cohort": cohort.name, "people": people.num_rows, "same_people": same,
            "hygie_s": t_hygie, "hand_s": t_hand, "ratio": t_hygie / t_hand}
