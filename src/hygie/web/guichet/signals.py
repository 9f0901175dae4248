"""`stage_changed`: sent inside the transaction that stores a file's event, for what follows
from a stage (a workspace opened at an authorisation, closed at its end). Receivers that fail
make the step fail: nothing is stored."""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: application, before (stage), after (stage), event (hygie.access.Event), seq (int)
stage_changed = Signal()
