"""Targeting benchmark: compiled cohorts against equivalent hand-written queries.

The definitions and hand-written SQL are the ones the tests check for equal results:
- `t2d_metformin_entry` (tests/test_cohorts.py): two metformin dispensations within a year, adults;
- `t2d_metformin` (the first worked example of docs/cohorts.md, tests/test_cohort_examples.py):
  the same with continuous coverage and two exclusions on other code lists (type 1 diabetes in the
  PMSI or ALD, insulin in the year before);
- `insulin_2021` (tests/test_cohort_examples.py): at least 3 insulin dispensings in the calendar
  year 2021, alive at the end of 2022.
Both sides run in the same process on the same engine and must return the same people. On Spark
the hand-written side is native Spark SQL, not a translation. Used by bench/engine_bench.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_cohort_examples import SPARK_HAND, examples, hand_people_duckdb, raw_views
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


def cohorts() -> list[tuple[str, str, str, str]]:
    """(label, definition, hand-written DuckDB SQL, hand-written Spark SQL) of each cohort."""
    out = [("t2d_metformin_entry", T2D_METFORMIN, HAND_METFORMIN, HAND_METFORMIN_SPARK)]
    for name in ("t2d_metformin", "insulin_2021"):
        out.append((name, examples()[name][0], hand_people_duckdb(name), SPARK_HAND[name]))
    return out


def compare(engine: Engine, repeat: int) -> list[dict]:
    raw_views(engine)
    results = []
    for label, text, duck_sql, spark_sql in cohorts():
        cohort = Cohort.from_yaml(text)
        t_hygie, people = _median(lambda c=cohort: c.people(engine), repeat)
        if isinstance(engine, SparkEngine):  # hand-written in Spark's own dialect, run natively
            t_hand, hand = _median(lambda q=spark_sql: engine.spark.sql(q).toArrow(), repeat)
        else:
            t_hand, hand = _median(lambda q=duck_sql: engine.arrow(q), repeat)
        same = (sorted(zip(people.column(0).to_pylist(), people.column(1).to_pylist(), strict=True))
                == sorted(zip(hand.column(0).to_pylist(), hand.column(1).to_pylist(), strict=True)))
        results.append({"cohort": label, "people": people.num_rows, "same_people": same,
                        "hygie_s": t_hygie, "hand_s": t_hand, "ratio": t_hygie / t_hand})
        print(label, results[-1], flush=True)
    return results
