"""The audit trail's hash chain, in plain Python: what an entry's hash covers, and the walk that
checks a run of entries (from the database or from an export file, so no Django here).

Entry n's hash is sha256 over the canonical JSON of its content and the hash of entry n-1
(`prev_hash`); the first entry follows `GENESIS`. Canonical JSON: sorted keys, no spaces, ASCII
escapes, and whole floats written as integers, because PostgreSQL's jsonb reorders keys and gives
`1e20` back as an integer: what is hashed must not depend on the database that stored it. The
serialisation below is a contract with every entry already written: never change it.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from hygie.nesting import too_deep
from hygie.web.audit.actions import Action

GENESIS = "0" * 64
PRUNED = Action.AUDIT_PRUNED.value


def _whole_floats_as_ints(value: Any) -> Any:
    """The JSON value with 1.0 as 1 (jsonb returns `1e20` as an integer), tuples as lists."""
    kind = type(value)  # exact types: the walk runs once per entry verified
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        return {str(k): _whole_floats_as_ints(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_whole_floats_as_ints(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """The one text of a JSON value: what is hashed, and what an export line holds."""
    return json.dumps(_whole_floats_as_ints(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True, allow_nan=False)


def canonical_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """A detail as stored: the value its canonical JSON reads back as (keys as text, whole
    floats as integers); refuses what JSON cannot hold (NaN, sets, objects)."""
    value = json.loads(canonical_json(detail))
    if not isinstance(value, dict):
        raise TypeError("an audit detail is a mapping")
    return value


def canonical_time(at: datetime) -> str:
    """UTC, ISO 8601 with microseconds: 2026-01-31T09:15:02.004512+00:00."""
    if at.tzinfo is None:
        raise ValueError("audit times are aware datetimes")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


@functools.lru_cache(maxsize=4096)  # the same few addresses, once per entry verified
def canonical_ip(ip: str | None) -> str | None:
    """One spelling per address (PostgreSQL's inet and Django may write IPv6 differently)."""
    return str(ipaddress.ip_address(ip)) if ip else None


@dataclass(frozen=True)
class Entry:
    """One entry of the chain, every field in its canonical form (`ip` through canonical_ip,
    `at` through canonical_time: the makers of entries see to it)."""

    seq: int
    at: str
    actor_id: int | None
    actor: str  # the username when it was recorded (a later rename changes nothing)
    action: str
    target_type: str
    target_id: str
    target_repr: str
    detail: dict[str, Any]
    ip: str | None
    prev_hash: str
    hash: str = ""

    def content(self) -> dict[str, Any]:
        """Everything the hash covers: the entry's fields and the previous entry's hash."""
        return {"seq": self.seq, "at": self.at, "actor_id": self.actor_id, "actor": self.actor,
                "action": self.action, "target_type": self.target_type,
                "target_id": self.target_id, "target_repr": self.target_repr,
                "detail": _whole_floats_as_ints(self.detail), "ip": self.ip,
                "prev_hash": self.prev_hash}

    def computed_hash(self) -> str:
        text = json.dumps(self.content(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=True, allow_nan=False)  # canonical_json, normalised above
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    def to_json(self) -> str:
        """One line of a JSONL export, read back by `entry_from_json`."""
        return canonical_json({**self.content(), "hash": self.hash})


FIELDS = ("seq", "at", "actor_id", "actor", "action", "target_type", "target_id", "target_repr",
          "detail", "ip", "prev_hash", "hash")


MAX_DEPTH = 64  # how deep an export line may nest (the walk recurses into details)


class MalformedEntry(ValueError):
    pass


def entry_from_json(line: str) -> Entry:
    """An entry from an export line; refuses anything not shaped as `Entry.to_json` writes."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        raise MalformedEntry("not JSON") from None
    # Nesting needs brackets: only a line with many is walked (the walk is the costly part).
    if line.count("[") + line.count("{") > MAX_DEPTH and too_deep(data, MAX_DEPTH):
        raise MalformedEntry(f"nested more than {MAX_DEPTH} levels deep")
    if not isinstance(data, dict) or set(data) != set(FIELDS):
        raise MalformedEntry(f"an entry has exactly the fields {', '.join(FIELDS)}")
    texts = ("at", "actor", "action", "target_type", "target_id", "target_repr", "prev_hash",
             "hash")
    if (type(data["seq"]) is not int or data["seq"] < 1 or not all(isinstance(data[k], str) for k in texts)
            or not (data["actor_id"] is None or type(data["actor_id"]) is int)
            or not (data["ip"] is None or isinstance(data["ip"], str))
            or not isinstance(data["detail"], dict)):
        raise MalformedEntry("a field has the wrong type")
    try:
        data["ip"] = canonical_ip(data["ip"])
    except ValueError:
        raise MalformedEntry("ip is not an address") from None
    return Entry(**data)


@dataclass(frozen=True)
class Anchor:
    """A point of the chain: an entry's number and hash (a head, a checkpoint)."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """SEQ:HASH, as `hygie audit head` prints it."""
        seq, _, digest = text.strip().partition(":")
        digest = digest.lower()
        if not seq.isdigit() or len(digest) != 64 or not set(digest) <= set("0123456789abcdef"):
            raise ValueError("a head is SEQ:HASH, a number and 64 hexadecimal digits")
        return cls(int(seq), digest)


START = Anchor(0, GENESIS)


@dataclass(frozen=True)
class Problem:
    kind: str  # altered, removed, reordered, truncated, head, checkpoint, malformed
    seq: int | None  # None: a file line that is no entry at all
    message: str

    def __str__(self) -> str:
        where = "" if self.seq is None else f" at seq {self.seq}"
        return f"{self.kind}{where}: {self.message}"


@dataclass
class Report:
    start: Anchor
    entries: int = 0
    last: Anchor | None = None
    problem: Problem | None = None
    pruned: set[tuple[int, str]] = field(default_factory=set)  # (upto_seq, hash) of prunings
    watched: str | None = None  # the hash of the entry `walk` was asked to watch

    @property
    def intact(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.problem is not None:
            return f"chain broken: {self.problem}"
        head = self.last or self.start
        since = f", from the checkpoint at seq {self.start.seq}" if self.start.seq else ""
        return f"{self.entries:,} entries{since}, chain intact, head {head}"


def _misplaced(bad: Entry, others: Iterable[Entry]) -> int | None:
    """The number of the entry whose content `bad` holds, if it is another entry's (swapped or
    moved rows), else None (the content was changed)."""
    for other in others:
        if other.seq == bad.seq:
            continue
        # The content moved into another row, that row's number and links kept...
        if replace(bad, seq=other.seq, prev_hash=other.prev_hash).computed_hash() == other.hash:
            return other.seq
        # ...or the whole row, hash and link included, renumbered.
        if replace(bad, seq=other.seq).computed_hash() == bad.hash:
            return other.seq
    return None


def walk(entries: Callable[[], Iterable[Entry]], start: Anchor = START, *,
         watch: int | None = None) -> Report:
    """Check entries in seq order from `start` (the genesis or a checkpoint): each hash matches
    its content, numbers have no gap and each entry links to the one before. Stops at the first
    problem. `entries` is called again only to name a swap. The hash of entry `watch` is kept
    (to compare with a kept head)."""
    report = Report(start, watched=start.hash if watch == start.seq else None)
    expected, prev = start.seq + 1, start.hash
    for entry in entries():
        if entry.seq < expected:
            report.problem = Problem("reordered", entry.seq,
                                     f"entry {entry.seq} comes after entry {expected - 1}")
            return report
        if entry.seq > expected:
            missing = (f"entry {expected} is" if entry.seq == expected + 1
                       else f"entries {expected} to {entry.seq - 1} are")
            report.problem = Problem("removed", expected, f"{missing} missing")
            return report
        if entry.computed_hash() != entry.hash:
            origin = _misplaced(entry, entries())
            report.problem = (
                Problem("altered", entry.seq, "its content does not match its hash")
                if origin is None else
                Problem("reordered", entry.seq, f"it holds the content of entry {origin}"))
            return report
        if entry.prev_hash != prev:
            report.problem = Problem("removed", entry.seq,
                                     "it does not follow the entry before it: an entry was "
                                     "removed or replaced")
            return report
        if entry.action == PRUNED:
            upto, digest = entry.detail.get("upto_seq"), entry.detail.get("hash")
            if isinstance(upto, int) and isinstance(digest, str):
                report.pruned.add((upto, digest))
        if entry.seq == watch:
            report.watched = entry.hash
        report.entries += 1
        report.last = Anchor(entry.seq, entry.hash)
        expected, prev = entry.seq + 1, entry.hash
    return report


def check_head(report: Report, head: Anchor | None, *, kept: bool = False) -> None:
    """Compare the walked chain's end with a head: the database's (`kept` False) or one kept
    outside the platform (`hygie audit verify --expect-head`), which may be older than the end."""
    if report.problem is not None or head is None:
        return
    last = report.last or report.start
    whose = "the kept head" if kept else "the head"
    if head.seq > last.seq:
        report.problem = Problem("truncated", last.seq + 1,
                                 f"{whose} is entry {head.seq}, the chain ends at {last.seq}")
    elif not kept and head.seq < last.seq:
        report.problem = Problem("head", head.seq,
                                 f"the head is entry {head.seq}, behind the chain's {last.seq}")
    elif head.seq < report.start.seq:
        report.problem = Problem("head", head.seq,
                                 f"{whose} is older than where the check starts (entry "
                                 f"{report.start.seq}): keep a newer head")
    elif head.seq == last.seq and head.hash != last.hash:
        report.problem = Problem("head", head.seq, f"entry {head.seq} differs from {whose}")


def check_kept_head(report: Report, kept: Anchor) -> None:
    """A head kept outside the platform, from a walk that watched its number: the chain may
    have grown since, never lost or rewritten what it held then."""
    check_head(report, kept, kept=True)
    if report.problem is None and report.watched != kept.hash:
        report.problem = Problem("head", kept.seq,
                                 f"entry {kept.seq} differs from the kept head: the chain was "
                                 "rewritten")


def check_checkpoint(report: Report) -> None:
    """A checkpoint is trusted only when a pruning recorded in the chain names it."""
    if report.problem is None and report.start.seq and \
            (report.start.seq, report.start.hash) not in report.pruned:
        report.problem = Problem("checkpoint", report.start.seq,
                                 "no audit.pruned entry of the chain names this checkpoint")


def read_jsonl(lines: Iterable[str]) -> Iterator[Entry]:
    """Entries of an export file; a malformed line raises MalformedEntry with its number."""
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                yield entry_from_json(line)
            except MalformedEntry as exc:
                raise MalformedEntry(f"line {number}: {exc}") from None


def verify_export(open_lines: Callable[[], Iterable[str]], expect: Anchor | None = None) -> Report:
    """An export file on its own (`open_lines` reads it from the start each time it is called):
    its first entry is taken as it links, the rest must follow it; `expect` anchors its end."""
    def read() -> Iterator[Entry]:
        return read_jsonl(open_lines())

    try:
        first = next(read(), None)
        start = Anchor(first.seq - 1, first.prev_hash) if first is not None else START
        report = walk(read, start, watch=expect.seq if expect else None)
    except MalformedEntry as exc:
        return Report(START, problem=Problem("malformed", None, str(exc)))
    if expect is not None:
        check_kept_head(report, expect)
    return report
