"""Write src/hygie/data/drugs.csv from the generator's drug facts (hygie.synth.knowledge.DRUGS).

The packaged table is the CIP13 -> ATC referential that every engine reads; the synthetic SNDS
dispenses exactly these presentations. Run after changing DRUGS: `python tools/drug_table.py`.
"""

from __future__ import annotations

from pathlib import Path

from hygie.synth import knowledge as K

TARGET = Path(__file__).resolve().parents[1] / "src" / "hygie" / "data" / "drugs.csv"


def table_text() -> str:
    lines = ["CIP13;CIP7;ATC;SUBSTANCE;PRESENTATION;DAYS_PER_BOX;RATE;PRICE"]
    for i, d in enumerate(K.DRUGS):
        lines.append(f"{K.cip13(i)};{K.cip7(i)};{d.atc};{d.substance};{d.presentation};"
                     f"{d.days_per_box};{d.rate};{d.price:.2f}")
    return "\r\n".join(lines) + "\r\n"  # the CSV convention (RFC 4180)


if __name__ == "__main__":
    TARGET.write_text(table_text(), encoding="utf-8")
    print(f"wrote {TARGET} ({len(K.DRUGS)} presentations)")
