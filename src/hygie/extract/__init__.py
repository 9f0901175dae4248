"""Provisioning: from an authorised scope to the project's pseudonymised extract.

```python
from hygie.engine.lake import Dataset
from hygie.extract.run import extract

ds, report = extract(scope, Dataset.open("lake/snds/v0003"), "out/2024-0042", secret=secret,
                     register=register)          # or Dataset.open("out/2024-0042") later
ds.relation("ER_PRS_F").aggregate("count(*)")    # a DuckDB relation over the parts
ds.arrow("T_MCO21B", columns=["PSEUDO_ID", "DGN_PAL"])
```
"""
