"""Regenerate the screenshots of docs/screenshots/: `python tools/screenshots.py`.

They are taken by the newcomer's walk (tests/web/test_newcomer_walk.py) against `hygie serve`
started as `make serve` starts it, so the pictures show what the tests check. Wide screen only by
default; `--phone` adds the 375 px pictures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
TITLES = {"home": "Home", "search": "Search", "dataset": "A dataset", "table": "A table",
          "codes": "A code list", "builder": "The cohort builder", "count": "A count",
          "cohorts": "My cohorts", "404": "A wrong address"}


def main() -> int:
    phone = "--phone" in sys.argv[1:]
    for old in OUT.glob("*.png"):
        old.unlink()
    env = {**os.environ, "HYGIE_SCREENSHOTS": str(OUT)}
    widths = "wide or phone" if phone else "wide"
    run = subprocess.run([sys.executable, "-m", "pytest", "tests/web/test_newcomer_walk.py", "-q",
                          "-k", widths, "-p", "no:cacheprovider"], cwd=ROOT, env=env)
    if run.returncode:
        return run.returncode
    lines = ["# Screenshots", "",
             "Taken by `python tools/screenshots.py` from the newcomer's walk "
             "(`tests/web/test_newcomer_walk.py`); do not edit by hand.", ""]
    for name, title in TITLES.items():
        shots = sorted(OUT.glob(f"*-{name}.png"))
        if shots:
            lines += [f"## {title}", ""] + [f"![{s.stem}]({s.name})" for s in shots] + [""]
    (OUT / "README.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
