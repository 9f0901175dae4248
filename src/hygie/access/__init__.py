"""Access applications (the guichet): review procedures described as data, and their legal clocks.

```python
from hygie.access import Case, Event, Role, apply, advance

case = apply(Case(), Event("submit", now, Role.APPLICANT, {"path": "authorisation"}))
case = advance(case, later)        # what the calendar did meanwhile (a CESREES opinion deemed given)
case.stage, case.deadline, case.clock_running, case.days_used(today), case.overdue(today)
```

The procedures (`path`) are YAML descriptions in `hygie/data/procedures/`; `load` reads another.
"""

from hygie.access.clock import ClockState
from hygie.access.description import DescriptionError, Procedure, Role, load
from hygie.access.procedure import (
    Case,
    Event,
    Opinion,
    Path,
    ProcedureError,
    Stage,
    advance,
    apply,
    due,
    procedures,
    replay,
)

__all__ = ["Case", "ClockState", "DescriptionError", "Event", "Opinion", "Path", "Procedure",
           "ProcedureError", "Role", "Stage", "advance", "apply", "due", "load", "procedures",
           "replay"]
