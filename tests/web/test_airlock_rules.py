"""The review rules (`airlock.review`), on plain values, and the airlock's copies
(`airlock.storage`), on files: who may review, what a round's reviews decide, what is copied."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from hygie.web.airlock import storage
from hygie.web.airlock.models import Decision as DecisionChoice
from hygie.web.airlock.models import Status as StatusChoice
from hygie.web.airlock.review import (
    Decision,
    Refusal,
    Reviewer,
    Round,
    Status,
    decisions_allowed,
    may_review,
    outcome,
    refusal,
)

CHECKER = Reviewer(id=5, checker=True, verified=True, member=False)
OPEN = Round(Status.REVIEW, author=1, reviewed=frozenset(), blocking=False)


def test_the_models_choices_are_the_rules_values():
    assert set(StatusChoice.values) == {s.value for s in Status}
    assert set(DecisionChoice.values) == {d.value for d in Decision}


@pytest.mark.parametrize(("who", "now", "why"), [
    (Reviewer(5, checker=False, verified=True, member=False), OPEN, Refusal.NOT_CHECKER),
    (Reviewer(5, checker=True, verified=False, member=False), OPEN, Refusal.SECOND_FACTOR),
    (Reviewer(1, checker=True, verified=True, member=False), OPEN, Refusal.AUTHOR),
    (Reviewer(5, checker=True, verified=True, member=True), OPEN, Refusal.MEMBER),
    (CHECKER, Round(Status.REVIEW, 1, frozenset({5}), False), Refusal.ALREADY_REVIEWED),
    (CHECKER, Round(Status.CHANGES, 1, frozenset(), False), Refusal.NOT_IN_REVIEW),
    (CHECKER, Round(Status.APPROVED, 1, frozenset(), False), Refusal.NOT_IN_REVIEW),
    (CHECKER, Round(Status.REJECTED, 1, frozenset(), False), Refusal.NOT_IN_REVIEW),
    (CHECKER, OPEN, None),
])
def test_who_may_review(who, now, why):
    assert may_review(who, now) == why


def test_a_blocking_round_cannot_be_approved_and_only_approval_goes_without_a_reason():
    blocking = Round(Status.REVIEW, 1, frozenset(), blocking=True)
    assert refusal(CHECKER, blocking, Decision.APPROVE, "looks fine") == Refusal.BLOCKING
    assert refusal(CHECKER, blocking, Decision.CHANGES, "  ") == Refusal.COMMENT
    assert refusal(CHECKER, blocking, Decision.REJECT, "") == Refusal.COMMENT
    assert refusal(CHECKER, blocking, Decision.CHANGES, "suppress row 3") is None
    assert refusal(CHECKER, OPEN, Decision.APPROVE, "") is None
    assert decisions_allowed(blocking) == [Decision.CHANGES, Decision.REJECT]
    assert decisions_allowed(OPEN)[0] == Decision.APPROVE


def test_what_a_rounds_reviews_decide():
    A, C, R = Decision.APPROVE, Decision.CHANGES, Decision.REJECT
    assert outcome([]) == Status.REVIEW
    assert outcome([A]) == Status.REVIEW
    assert outcome([A, A]) == Status.APPROVED
    assert outcome([A, C]) == Status.CHANGES
    assert outcome([C]) == Status.CHANGES
    assert outcome([A, R]) == Status.REJECTED
    assert outcome([C, R]) == Status.REJECTED


@hsettings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(list(Decision)), max_size=6))
def test_a_round_is_approved_only_with_two_approvals_and_nothing_else(decisions):
    status = outcome(decisions)
    if status == Status.APPROVED:
        assert decisions.count(Decision.APPROVE) >= 2
        assert set(decisions) == {Decision.APPROVE}
    if Decision.REJECT in decisions:
        assert status == Status.REJECTED


# --- the copies -----------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "files"
    (root / "outputs" / "sub").mkdir(parents=True)
    return root


def test_a_copy_has_the_bytes_and_digest_of_the_file(files, tmp_path):
    data = b"sex,n\nF,120\n"
    (files / "outputs/sub/t.csv").write_bytes(data)
    copy = storage.copy_output(files, "outputs/sub/t.csv", tmp_path / "airlock", "ws", 100)
    assert copy.size == len(data) and copy.sha256 == hashlib.sha256(data).hexdigest()
    assert copy.stored.startswith("ws/") and copy.stored.endswith("/t.csv")
    assert storage.read_copy(tmp_path / "airlock", copy.stored, copy.sha256, 100) == data
    (tmp_path / "airlock" / copy.stored).write_bytes(b"sex,n\nF,7\n")
    with pytest.raises(storage.StorageError):
        storage.read_copy(tmp_path / "airlock", copy.stored, copy.sha256, 100)


@pytest.mark.parametrize("make", ["link_file", "link_folder", "fifo", "folder", "big",
                                  "missing"])
def test_what_is_not_a_plain_file_within_the_limit_is_not_copied(files, tmp_path, make):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "t.csv").write_text("secret")
    target = files / "outputs" / "t.csv"
    if make == "link_file":
        target.symlink_to(outside / "t.csv")
    elif make == "link_folder":
        (files / "outputs" / "sub").rmdir()
        (files / "outputs" / "sub").symlink_to(outside)
        target = files / "outputs" / "sub" / "t.csv"
    elif make == "fifo":
        os.mkfifo(target)
    elif make == "folder":
        target.mkdir()
    elif make == "big":
        target.write_bytes(b"x" * 101)
    relative = target.relative_to(files).as_posix()
    with pytest.raises(storage.StorageError):
        storage.copy_output(files, relative, tmp_path / "airlock", "ws", 100)
    left = [p for p in (tmp_path / "airlock").rglob("*") if p.is_file()] \
        if (tmp_path / "airlock").exists() else []
    assert left == []


@pytest.mark.parametrize("relative", ["", "outputs/../outputs/t.csv", "outputs//t.csv",
                                      "./outputs/t.csv", "outputs/t.csv\x00"])
def test_paths_that_are_not_plain_are_refused(files, tmp_path, relative):
    (files / "outputs" / "t.csv").write_text("x")
    with pytest.raises(storage.StorageError):
        storage.copy_output(files, relative, tmp_path / "airlock", "ws", 100)


def test_a_stored_name_cannot_leave_the_root(tmp_path):
    with pytest.raises(storage.StorageError):
        storage.path_of(tmp_path / "airlock", "../../etc/passwd")
