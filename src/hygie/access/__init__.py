"""Access applications (the guichet): the review procedure and its legal deadlines.

```python
from hygie.access import Case, Event, Role, apply, advance

case = apply(Case(), Event("submit", now, Role.APPLICANT, {"path": "authorisation"}))
case = advance(case, later)        # what the calendar did meanwhile (a CESREES opinion deemed given)
case.stage, case.deadline, case.overdue(today)
```
"""

from hygie.access.procedure import (
    Case,
    Event,
    Opinion,
    Path,
    ProcedureError,
    Role,
    Stage,
    advance,
    apply,
    due,
    replay,
)

__all__ = ["Case", "Event", "Opinion", "Path", "ProcedureError", "Role", "Stage", "advance",
           "apply", "due", "replay"]
