"""The targeting language (ciblage): cohort definitions, their compiler, their counts.

```python
from hygie.cohorts import Cohort

cohort = Cohort.from_yaml("t2d_metformin.yaml")
cohort.count("demo/snds")            # people in the cohort (raw count)
cohort.attrition("demo/snds")        # [(step label, people remaining), ...]
cohort.people(engine)                # Arrow table: PERSON_KEY, INDEX_DATE
print(cohort.sql("spark"))           # the SQL, for DuckDB or Spark
```

See docs/cohorts.md for the language.
"""

from hygie.cohorts.model import Codelist, Cohort, DefinitionError
from hygie.cohorts.run import CohortError

__all__ = ["Codelist", "Cohort", "CohortError", "DefinitionError"]
