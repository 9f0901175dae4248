"""Build the French translation of the web platform: `make translations`.

1. `makemessages` collects every translatable string of the templates and the code into
   `src/hygie/web/locale/fr/LC_MESSAGES/django.po`;
2. the French texts are taken from the fragments in `locale/fr/parts/*.po` (one per feature, written
   with the feature), and from the previous django.po for strings no fragment has;
3. `compilemessages` writes the .mo that Django reads (committed, so no gettext is needed to run).

Strings left untranslated are listed, and the command fails when there are any.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

WEB = Path(__file__).resolve().parent.parent / "src" / "hygie" / "web"
LOCALE = WEB / "locale" / "fr"
PO = LOCALE / "LC_MESSAGES" / "django.po"


def known() -> dict[str, str]:
    texts: dict[str, str] = {}
    if PO.exists():
        texts.update({e.msgid: e.msgstr for e in polib.pofile(str(PO)) if e.msgstr and not e.obsolete})
    for part in sorted((LOCALE / "parts").glob("*.po")):
        texts.update({e.msgid: e.msgstr for e in polib.pofile(str(part)) if e.msgstr})
    return texts


def main() -> int:
    texts = known()
    manage = [sys.executable, "-m", "hygie.cli", "manage"]
    subprocess.run([*manage, "makemessages", "-l", "fr", "--no-location", "--no-obsolete",
                    "--ignore", "migrations/*"], cwd=WEB, check=True)
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.msgid in texts:
            entry.msgstr = texts[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr or "fuzzy" in entry.flags:
            missing.append(entry.msgid)
    po.metadata.update({"Language": "fr", "Content-Type": "text/plain; charset=UTF-8",
                        "Plural-Forms": "nplurals=2; plural=(n > 1);"})
    po.save()
    subprocess.run([*manage, "compilemessages", "-l", "fr"], cwd=WEB, check=True)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
