"""The review rules of a release request, in one place: plain values in, a verdict out.

A request is reviewed in rounds. In each round, output checkers review its files: each approves,
asks for changes or rejects. Two approvals in the round approve the request; a request for
changes ends the round (the author replaces the files, which opens the next round, where earlier
reviews no longer count); a rejection is final. A reviewer is an output checker who passed a
second factor, is neither the author nor a member of the project, and has not reviewed in this
round. A round whose files hold a blocking finding cannot be approved, and every decision but an
approval says why in a comment.

No model and no request here: `flow` reads the database, asks these functions, and writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

APPROVALS_NEEDED = 2


class Status(StrEnum):
    REVIEW = "review"  # waiting for reviews in its current round
    CHANGES = "changes"  # a checker asked for changes: the author replaces the files
    APPROVED = "approved"
    REJECTED = "rejected"


FINAL = frozenset({Status.APPROVED, Status.REJECTED})


class Decision(StrEnum):
    APPROVE = "approve"
    CHANGES = "changes"
    REJECT = "reject"


class Refusal(StrEnum):
    """Why a review is refused."""

    NOT_CHECKER = "not_checker"
    SECOND_FACTOR = "second_factor"
    AUTHOR = "author"
    MEMBER = "member"
    ALREADY_REVIEWED = "already_reviewed"
    NOT_IN_REVIEW = "not_in_review"
    BLOCKING = "blocking"  # an approval of files with a blocking finding
    COMMENT = "comment"  # changes or a rejection without a reason


@dataclass(frozen=True)
class Reviewer:
    id: int
    checker: bool  # holds the output checker's role
    verified: bool  # this session passed a second factor
    member: bool  # a member of the project (its applicant or its team)


@dataclass(frozen=True)
class Round:
    status: Status
    author: int
    reviewed: frozenset[int]  # who reviewed in this round
    blocking: bool  # a file of this round has a blocking finding


def may_review(who: Reviewer, now: Round) -> Refusal | None:
    """Why `who` may not review the request now, or None when they may."""
    if not who.checker:
        return Refusal.NOT_CHECKER
    if not who.verified:
        return Refusal.SECOND_FACTOR
    if who.id == now.author:
        return Refusal.AUTHOR
    if who.member:
        return Refusal.MEMBER
    if now.status != Status.REVIEW:
        return Refusal.NOT_IN_REVIEW
    if who.id in now.reviewed:
        return Refusal.ALREADY_REVIEWED
    return None


def refusal(who: Reviewer, now: Round, decision: Decision, comment: str) -> Refusal | None:
    """Why this review is refused, or None when it may be recorded."""
    found = may_review(who, now)
    if found is not None:
        return found
    if decision == Decision.APPROVE and now.blocking:
        return Refusal.BLOCKING
    if decision != Decision.APPROVE and not comment.strip():
        return Refusal.COMMENT
    return None


def decisions_allowed(now: Round) -> list[Decision]:
    """The decisions a reviewer may take on this round (approval only without blocking
    findings)."""
    allowed = [Decision.CHANGES, Decision.REJECT]
    return allowed if now.blocking else [Decision.APPROVE, *allowed]


def outcome(decisions: Iterable[Decision]) -> Status:
    """The request's status after the round's reviews so far."""
    taken = list(decisions)
    if Decision.REJECT in taken:
        return Status.REJECTED
    if Decision.CHANGES in taken:
        return Status.CHANGES
    if taken.count(Decision.APPROVE) >= APPROVALS_NEEDED:
        return Status.APPROVED
    return Status.REVIEW
