"""Generate a synthetic SNDS, measure its realism, and print (or record) the "Realism" section of
docs/synthetic-snds.md, between its markers.

Usage: python tools/realism_doc.py --patients 100000 --years 2019-2023 [--seed 1] [--record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

from hygie.synth.generator import SynthParams, generate, parse_years
from hygie.synth.published import PUBLISHED
from hygie.synth.realism import Measure, measure

DOC = Path(__file__).resolve().parent.parent / "docs" / "synthetic-snds.md"
START, END = "<!-- synth-realism:start -->", "<!-- synth-realism:end -->"


def machine() -> str:
    cpu = re.search(r"^model name\s*:\s*(.*)$", Path("/proc/cpuinfo").read_text(), re.M)
    return (f"`nproc` {len(os.sched_getaffinity(0))} ({cpu.group(1) if cpu else '?'}), "
            f"Python {platform.python_version()}, {platform.platform()}")


def table(measures: list[Measure]) -> list[str]:
    lines = ["| measure | years | published | truth | claims | ratio truth / claims | within |",
             "|---|---|---:|---:|---:|---:|:---:|"]
    for m in measures:
        p = m.published
        published = f"{p.value:g} {p.unit} ({p.publisher}, {p.year})" if p else "none"
        lines.append(f"| {m.label} | {m.years} | {published} | {m.text(m.truth)} | "
                     f"{m.text(m.claims)} | {m.ratios()} | {m.verdict()} |")
    return lines


def definitions(measures: list[Measure]) -> list[str]:
    seen: dict[str, str] = {}
    for m in measures:
        seen.setdefault(m.label, m.definition)
    return [f"- {label}: {what}." for label, what in seen.items()]


def sources() -> list[str]:
    """One line per measure: its figures (by year when there are several) and their source."""
    lines = []
    for key in dict.fromkeys(p.key for p in PUBLISHED):
        rows = [p for p in PUBLISHED if p.key == key]
        p = rows[0]
        if len(rows) > 1:
            figures = ", ".join(f"{q.value:g} ({q.year})" for q in rows)
            where = f"*{p.source.rsplit(' ', 1)[0]}* of each year"
        else:
            figures = f"{p.value:g} {p.unit}"
            where = f"*{p.source}*, {p.year}"
        note = f" {p.note[0].upper()}{p.note[1:]}." if p.note and len(rows) == 1 else ""
        lines.append(f"- {p.label}, {p.population}: {figures}. {p.publisher}, {where}, "
                     f"<{p.address}>; {p.provenance}.{note}")
    return lines


def section(measures: list[Measure], command: str, patients: int, seconds: float) -> str:
    return "\n".join([
        START, "## Realism", "",
        "Each measure of `hygie.synth.realism` against a published French figure, in the truth "
        "and in what a cartographie-like algorithm sees in the claims. A measure is within when "
        "each side is within 20% of its figure; `~` means within only once the sampling noise "
        "of this size (3 standard errors of the expected count) is allowed for. A ratio in "
        "brackets is not judged: a count of people cared for (cartographie) describes the "
        "claims, and the true prevalence is above it. Print it for "
        "any dataset with `hygie synth-report DATASET`.", "",
        f"{patients:,} people, generated and measured in {seconds:.0f} s on {machine()}, "
        f"{dt.date.today().isoformat()}, with `{command}`.", "",
        *table(measures), "", "### What is counted", "", *definitions(measures), "",
        "### Sources", "", *sources(), END])


def rewrite(text: str, new: str) -> str:
    if START in text and END in text:
        return text[:text.index(START)] + new + text[text.index(END) + len(END):]
    return text.rstrip("\n") + "\n\n" + new + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--years", default="2019-2023")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--record", action="store_true", help=f"rewrite the section of {DOC}")
    args = parser.parse_args()
    first, last = parse_years(args.years)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        snds, truth = generate(SynthParams(patients=args.patients, seed=args.seed,
                                           first_year=first, last_year=last),
                               Path(tmp) / "snds", workers=args.workers)
        measures = measure(snds, truth)
    command = "python tools/realism_doc.py " + " ".join(sys.argv[1:])
    text = section(measures, command.strip(), args.patients, time.monotonic() - start)
    if args.record:
        DOC.write_text(rewrite(DOC.read_text(encoding="utf-8"), text), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
