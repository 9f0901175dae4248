"""Build the French translation of the web platform: `make translations`.

1. `makemessages` collects every translatable string of the templates and the code into
   `src/hygie/web/locale/fr/LC_MESSAGES/django.po`;
2. the French texts are taken from the fragments in `locale/fr/parts/*.po` (one per feature, written
   with the feature), and from the previous django.po for strings no fragment has;
3. `compilemessages` writes the .mo that Django reads (committed, so no gettext is needed to run).

Strings left untranslated are listed, and the command fails when there are any.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

WEB = Path(__file__).resolve().parent.parent / "src" / "hygie" / "web"
LOCALE = WEB / "locale" / "fr"
PO = LOCALE / "LC_MESSAGES" / "django.po"


Text = str | dict[int, str]  # a translation, or its plural forms


def _text(entry: polib.POEntry) -> Text | None:
    if entry.msgid_plural:
        forms = {int(k): v for k, v in entry.msgstr_plural.items()}
        return forms if forms and all(forms.values()) else None
    return entry.msgstr or None


def known() -> dict[str, Text]:
    sources = [PO] if PO.exists() else []
    sources += sorted((LOCALE / "parts").glob("*.po"))  # fragments win over the old file
    texts: dict[str, Text] = {}
    for source in sources:
        for entry in polib.pofile(str(source)):
            text = _text(entry)
            if text and not entry.obsolete and "fuzzy" not in entry.flags:
                texts[entry.msgid] = text
    return texts


# French typography: a no-break space before ":" and a narrow one before ";", "?" and "!", so that
# the sign never starts a line ("Produit : DCIR"). Only an ordinary space is replaced: a sign
# glued to a word may be code (`{start: 2020}`, https://) and is left as written.
_BEFORE = {":": "\u00a0", ";": "\u202f", "?": "\u202f", "!": "\u202f"}


def typeset(text: Text) -> Text:
    if isinstance(text, dict):
        return {k: typeset(v) for k, v in text.items()}  # type: ignore[misc]
    return re.sub(r" ([:;?!])(?=\s|$|<|\))", lambda m: _BEFORE[m.group(1)] + m.group(1), text)


def main() -> int:
    texts = known()
    manage = [sys.executable, "-m", "hygie.cli", "manage"]
    # Django needs a home for its settings; not the package folder the commands run in.
    home = tempfile.TemporaryDirectory(prefix="hygie-translations-")
    env = {**os.environ, "HYGIE_HOME": home.name}
    subprocess.run([*manage, "makemessages", "-l", "fr", "--no-location", "--no-obsolete",
                    "--ignore", "migrations/*"], cwd=WEB, check=True, env=env)
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        text = texts.get(entry.msgid)
        text = typeset(text) if text is not None else None
        if isinstance(text, dict) and entry.msgid_plural:
            entry.msgstr_plural = text
        elif isinstance(text, str) and not entry.msgid_plural:
            entry.msgstr = text
        else:
            missing.append(entry.msgid)
            continue
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.metadata.update({"Language": "fr", "Content-Type": "text/plain; charset=UTF-8",
                        "Plural-Forms": "nplurals=2; plural=(n > 1);"})
    po.save()
    subprocess.run([*manage, "compilemessages", "-l", "fr"], cwd=WEB, check=True, env=env)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
