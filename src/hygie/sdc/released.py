"""The SNDS rule for one figure: no released figure may describe 1 to 10 individuals.

A `Released` is what may leave the platform: either a number, or a mark ("<11", "secret") with the
reason it is hidden. It never holds the raw value of a hidden figure, so a hidden count cannot leak
through `repr`, logging or serialisation.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from enum import StrEnum
from typing import SupportsIndex

THRESHOLD = 11
"""The smallest count that may be released: counts 1 to THRESHOLD - 1 are secret."""

SECRET_MARK = "secret"


class SdcError(ValueError):
    """Input that statistical disclosure control cannot handle; the message says why."""


class Reason(StrEnum):
    SHOWN = "shown"  # the exact count (0, or at least the threshold)
    PERTURBED = "perturbed"  # a feasibility count: cell-key noise, then rounding
    BELOW_THRESHOLD = "below-threshold"  # primary suppression: 1 to threshold - 1 (or 0 when hidden)
    COMPLEMENTARY = "complementary"  # secondary suppression, so that no small cell can be recomputed


@dataclass(frozen=True, slots=True)
class Released:
    """A figure as it may be shown: `value` is None exactly when it is hidden.

    `base` is the rounding base of a shown value (1 when exact); `threshold` only serves the mark of a
    hidden small count ("<11").
    """

    value: int | None
    reason: Reason
    base: int = 1
    threshold: int = THRESHOLD

    def __post_init__(self) -> None:
        hidden = self.reason in (Reason.BELOW_THRESHOLD, Reason.COMPLEMENTARY)
        if hidden != (self.value is None):
            raise SdcError(f"a {self.reason} figure {'has no' if hidden else 'needs a'} value")
        if self.value is not None and 0 < self.value < self.threshold:
            raise SdcError(f"{self.value} may not be released: counts 1 to {self.threshold - 1} "
                           "are secret")

    @property
    def hidden(self) -> bool:
        return self.value is None

    @property
    def exact(self) -> bool:
        return self.value is not None and self.reason is Reason.SHOWN

    @property
    def mark(self) -> str:
        """The text shown: the number, `<11` for a small count, `secret` for a complementary cell."""
        if self.value is not None:
            return str(self.value)
        if self.reason is Reason.BELOW_THRESHOLD:
            return f"<{self.threshold}"
        return SECRET_MARK

    def __str__(self) -> str:
        return self.mark

    def __repr__(self) -> str:
        return f"Released({self.mark!r}, {self.reason.value})"


def check_count(count: object) -> int:
    """An exact non-negative integer count (bools and floats refused), or a clear error."""
    if isinstance(count, bool) or not isinstance(count, SupportsIndex):  # int, numpy integers
        raise SdcError(f"a count must be an integer, not {type(count).__name__} {count!r}")
    value = operator.index(count)
    if value < 0:
        raise SdcError(f"a count cannot be negative ({value})")
    return value


def is_small(count: int, *, hide_zero: bool = False, threshold: int = THRESHOLD) -> bool:
    """True when the count describes too few people to be shown (primary suppression)."""
    return count < threshold and (count > 0 or hide_zero)


def suppress(count: int, *, hide_zero: bool = False, threshold: int = THRESHOLD) -> Released:
    """One count under the SNDS rule: 1 to 10 become `<11`; 0 is shown unless `hide_zero`.

    Zero describes nobody, so the SNDS rule lets it through (see docs/statistical-secrecy.md for
    when a zero still discloses, and why feasibility counts hide it).
    """
    value = check_count(count)
    if threshold < 1:
        raise SdcError(f"the threshold must be at least 1, not {threshold}")
    if is_small(value, hide_zero=hide_zero, threshold=threshold):
        return Released(None, Reason.BELOW_THRESHOLD, threshold=threshold)
    return Released(value, Reason.SHOWN, threshold=threshold)
