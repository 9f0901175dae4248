"""Run tsfaker table by table and time each one. Runs inside bench/.venv-tsfaker, not Hygie's venv.

Usage: python tsfaker_driver.py SPEC.json, where SPEC is {"schemas": DIR, "out": DIR, "seed": int,
"tables": [[name, nrows], ...]} with tables in foreign-key order. Each table is generated exactly as
`tsfaker DIR/name.json -n nrows -r OUT -o OUT/name.csv` would (same calls as tsfaker.main.cli), but
timed after the imports, so the interpreter start-up is not counted. The time of a table includes
reading its foreign-key values from the parent tables' CSV files, as tsfaker does. Prints one JSON
line per table: {"table", "rows", "seconds", "csv_bytes"}.
"""

import json
import logging
import os
import sys
import time

from tsfaker.generator.foreign_key import ForeignKeyCatalog
from tsfaker.generator.table import TableGenerator
from tsfaker.io.resources import add_schema_to_resources, process_resources
from tsfaker.io.schema import read_schema


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    logging.basicConfig(level=logging.WARNING)
    out = spec["out"]
    for name, nrows in spec["tables"]:
        csv = os.path.join(out, name + ".csv")
        t0 = time.perf_counter()
        schema = read_schema(os.path.join(spec["schemas"], name + ".json"), csv, False)
        resources = process_resources([out])  # the parents' CSV files generated before
        add_schema_to_resources(resources, [schema])
        catalog = ForeignKeyCatalog(resources)
        generator = TableGenerator(schema, nrows, resources, catalog, spec["seed"])
        generator.generate_output_csv(False, False, True, ",")
        seconds = time.perf_counter() - t0
        print(json.dumps({"table": name, "rows": nrows, "seconds": seconds,
                          "csv_bytes": os.path.getsize(csv)}), flush=True)


if __name__ == "__main__":
    main()
