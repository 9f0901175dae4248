"""The steps of a release request: each the one way its state changes, with its audit event.

- `submit`: a member asks to release files of the workspace's outputs/. Each file is copied into
  the airlock's storage with its SHA-256 (what is reviewed is exactly what would leave), then the
  core's automatic checks run on the copy, with what the member declared and the project's files
  released before (for differencing); the report is stored with the file.
- `replace`: after a request for changes, the author submits new files: the next round opens and
  the earlier reviews no longer count.
- `review`: an output checker's decision, judged by `review.refusal` and folded by
  `review.outcome`.
- `read`: an approved file for a member (or a file under review for a checker), SHA-256 checked.
- `publish`: an approved file becomes a result of the project in the public register.

Every change runs in one transaction that first locks the request's row (select_for_update on
PostgreSQL; SQLite transactions here begin IMMEDIATE and hold the write lock): two checkers
approving at once are judged one after the other, and the second sees the first's review.
Copies are made before the transaction (they take time) and removed when it does not commit.
Who may reach a step is checked by the views (`views`); the reviewer's rules and the request's
state are checked here, under the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from hygie.airlock import Declared, Limits, Sidecar, SidecarError, check_file
from hygie.web.accounts.models import Role
from hygie.web.airlock import review, storage
from hygie.web.airlock.models import Decision, ReleaseFile, ReleaseRequest, Review, Status
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.guichet.models import Result, ResultKind
from hygie.web.register.entries import today
from hygie.web.workspaces.access import is_member
from hygie.web.workspaces.models import Workspace

LIMITS = Limits()


@dataclass(frozen=True)
class Chosen:
    """A file the member asks to release, and what they declare of it."""

    name: str  # under the workspace's outputs/
    counts: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    sidecar: str = ""  # its sidecar, under outputs/, or ""


class Refused(Exception):
    """A step refused; `code` says why (the views word it), `name` which file."""

    def __init__(self, code: str, name: str = "") -> None:
        super().__init__(f"{code}: {name}" if name else code)
        self.code = code
        self.name = name


def root() -> Path:
    return Path(settings.HYGIE_AIRLOCK)


def is_checker(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.OUTPUT_CHECKER))


# --- copies and checks ----------------------------------------------------------------------------


def _earlier(workspace: Workspace) -> list[Path]:
    """The files this project released before: its approved requests' final files."""
    rows = ReleaseFile.objects.filter(
        request__workspace__application_id=workspace.application_id,
        request__status=Status.APPROVED, round=F("request__round")).order_by("pk")
    return [storage.path_of(root(), f.stored) for f in rows]


def _copy(workspace: Workspace, name: str) -> storage.Copy:
    try:
        return storage.copy_output(workspace.layout.files, f"outputs/{name}", root(),
                                   workspace.folder, LIMITS.max_bytes)
    except storage.StorageError:
        raise Refused("unreadable", name) from None


def _is_sidecar(path: Path) -> bool:
    try:
        Sidecar.read(path)
    except (SidecarError, OSError):
        return False
    return True


def _prepare(workspace: Workspace, chosen: Sequence[Chosen]) -> list[ReleaseFile]:
    """The files copied and checked (not saved); on a refusal, no copy is left."""
    if not chosen or len({c.name for c in chosen}) != len(chosen):
        raise Refused("no_files")
    earlier = _earlier(workspace)
    made: list[ReleaseFile] = []
    try:
        for c in chosen:
            copy = _copy(workspace, c.name)
            row = ReleaseFile(name=c.name, stored=copy.stored, size=copy.size,
                              sha256=copy.sha256, counts=list(c.counts), keys=list(c.keys),
                              report={}, blocking=True)
            made.append(row)
            path = storage.path_of(root(), copy.stored)
            if path.suffix.lower() == ".json" and _is_sidecar(path):
                raise Refused("is_sidecar", c.name)  # its contributions must not leave
            sidecar = None
            if c.sidecar:
                side = _copy(workspace, c.sidecar)
                row.sidecar_name, row.sidecar_stored = c.sidecar, side.stored
                row.sidecar_sha256 = side.sha256
                try:
                    sidecar = Sidecar.read(storage.path_of(root(), side.stored))
                except (SidecarError, OSError):
                    raise Refused("bad_sidecar", c.sidecar) from None
            report = check_file(path, name=c.name, limits=LIMITS, earlier=earlier,
                                declared=Declared(c.counts, c.keys, sidecar))
            row.report, row.blocking = report.to_dict(), report.blocking
    except BaseException:
        _discard(made)
        raise
    return made


def _discard(files: Sequence[ReleaseFile]) -> None:
    for f in files:
        for stored in (f.stored, f.sidecar_stored):
            if stored:
                storage.remove(root(), stored)


def _summary(files: Sequence[ReleaseFile]) -> list[dict[str, Any]]:
    return [{"name": f.name, "size": f.size, "sha256": f.sha256, "blocking": f.blocking,
             "codes": sorted({x["code"] for x in f.report.get("findings", [])})} for f in files]


# --- the steps ------------------------------------------------------------------------------------


def submit(workspace: Workspace, author: Any, title: str, purpose: str,
           chosen: Sequence[Chosen], *, request: HttpRequest | None = None) -> ReleaseRequest:
    """A new request by a member of `workspace` (the views check who may)."""
    files = _prepare(workspace, chosen)
    try:
        with transaction.atomic():
            release = ReleaseRequest.objects.create(
                workspace=workspace, author=author, title=title, purpose=purpose,
                submitted=timezone.now())
            for f in files:
                f.request, f.round = release, 1
                f.save()
            record(Action.AIRLOCK_REQUESTED, release, actor=author, request=request,
                   workspace=workspace.pk, round=1, files=_summary(files))
    except BaseException:
        _discard(files)
        raise
    return release


def replace(pk: int, author: Any, chosen: Sequence[Chosen], *,
            request: HttpRequest | None = None) -> ReleaseRequest:
    """The author's new files after a request for changes: the next round."""
    release = ReleaseRequest.objects.select_related("workspace").get(pk=pk)
    _may_replace(release, author)
    files = _prepare(release.workspace, chosen)
    try:
        with transaction.atomic():
            locked = ReleaseRequest.objects.select_for_update().get(pk=pk)
            _may_replace(locked, author)
            locked.round += 1
            locked.status = Status.REVIEW
            locked.submitted = timezone.now()
            locked.save(update_fields=["round", "status", "submitted"])
            for f in files:
                f.request, f.round = locked, locked.round
                f.save()
            record(Action.AIRLOCK_FILES_REPLACED, locked, actor=author, request=request,
                   round=locked.round, files=_summary(files))
    except BaseException:
        _discard(files)
        raise
    return locked


def _may_replace(release: ReleaseRequest, author: Any) -> None:
    if release.author_id != author.pk:
        raise Refused("not_author")
    if release.status != Status.CHANGES:
        raise Refused("not_changes")


def current_round(release: ReleaseRequest) -> review.Round:
    reviewed = frozenset(release.reviews.filter(round=release.round)
                         .values_list("reviewer_id", flat=True))
    blocking = release.files.filter(round=release.round, blocking=True).exists()
    return review.Round(review.Status(release.status), release.author_id, reviewed, blocking)


def reviewer(user: Any, workspace: Workspace, *, verified: bool) -> review.Reviewer:
    return review.Reviewer(user.pk, is_checker(user), verified, is_member(user, workspace))


@dataclass(frozen=True)
class Reviewed:
    release: ReleaseRequest
    refused: review.Refusal | None


def decide(pk: int, user: Any, decision: review.Decision, comment: str, *, verified: bool,
           request: HttpRequest | None = None) -> Reviewed:
    """`user`'s review of request `pk`; a refusal is recorded in the audit trail, not raised."""
    comment = comment.strip()
    with transaction.atomic():
        release = (ReleaseRequest.objects.select_for_update(of=("self",))
                   .select_related("workspace").get(pk=pk))
        now = current_round(release)
        refused = review.refusal(reviewer(user, release.workspace, verified=verified), now,
                                 decision, comment)
        if refused is not None:
            record(Action.AIRLOCK_REFUSED, release, actor=user, request=request,
                   step="review", decision=decision.value, reason=refused.value,
                   round=release.round)
            return Reviewed(release, refused)
        Review.objects.create(request=release, round=release.round, reviewer=user,
                              decision=decision.value, comment=comment)
        taken = [review.Decision(d) for d in release.reviews.filter(round=release.round)
                 .values_list("decision", flat=True)]
        after = review.outcome(taken)
        record(Action.AIRLOCK_REVIEWED, release, actor=user, request=request,
               round=release.round, decision=decision.value)
        if after != release.status:
            release.status = after
            release.decided = timezone.now() if after in review.FINAL else None
            release.save(update_fields=["status", "decided"])
            if after == review.Status.APPROVED:
                record(Action.AIRLOCK_APPROVED, release, actor=user, request=request,
                       round=release.round, reviewers=sorted(
                           release.reviews.filter(round=release.round,
                                                  decision=Decision.APPROVE)
                           .values_list("reviewer_id", flat=True)))
            elif after == review.Status.REJECTED:
                record(Action.AIRLOCK_REJECTED, release, actor=user, request=request,
                       round=release.round)
    return Reviewed(release, None)


def read(file: ReleaseFile, user: Any, *, role: str, request: HttpRequest | None = None) -> bytes:
    """The stored copy's bytes (SHA-256 checked), the download audited with the reader's
    `role` (member, checker, or public for a published file)."""
    try:
        data = storage.read_copy(root(), file.stored, file.sha256, LIMITS.max_bytes)
    except storage.StorageError:
        raise Refused("damaged", file.name) from None
    with transaction.atomic():
        record(Action.AIRLOCK_DOWNLOADED, file.request, actor=user, request=request,
               file=file.pk, name=file.name, sha256=file.sha256,
               role=role)
    return data


def public_link(file: ReleaseFile) -> str:
    """The address of a published file's public download (empty if it would not fit)."""
    link = f"{settings.SITE_URL}{reverse('airlock:published', args=[file.pk])}"
    return link if len(link) <= Result._meta.get_field("link").max_length else ""


def publish(pk: int, user: Any, *, request: HttpRequest | None = None) -> Result:
    """File `pk`, approved, as a released output of its project in the register."""
    with transaction.atomic():
        file = ReleaseFile.objects.select_for_update().get(pk=pk)
        release = (ReleaseRequest.objects.select_for_update(of=("self",))
                   .select_related("workspace__application").get(pk=file.request_id))
        if release.status != Status.APPROVED or file.round != release.round:
            raise Refused("not_approved", file.name)
        if file.result_id is not None:
            raise Refused("published", file.name)
        several = release.files.filter(round=release.round).count() > 1
        title = f"{release.title} ({file.basename})" if several else release.title
        result = Result.objects.create(
            application=release.workspace.application, kind=ResultKind.OUTPUT,
            title=title[:500], link=public_link(file), published=today(), added_by=user)
        file.result = result
        file.save(update_fields=["result"])
        record(Action.AIRLOCK_PUBLISHED, release, actor=user, request=request, file=file.pk,
               name=file.name, sha256=file.sha256, result=result.pk)
    return result
