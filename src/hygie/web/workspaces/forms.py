"""The workspace's forms: a script to add to the members' files, a script to run.

A script is checked before anything is written: a name of letters, digits, '_' and '-' ending
in .py (so that it lands where it should, and reads plainly in every list), at most
SCRIPT_MAX_BYTES, UTF-8 text without NUL characters, and Python that compiles. It is stored
under the members' files by `files.save_script`, never under the name's path.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

SCRIPT_MAX_BYTES = 1 << 20
SCRIPT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.py$")


class ScriptForm(forms.Form):
    script = forms.FileField(
        label=_("Python script"), widget=forms.FileInput(attrs={"accept": ".py,text/x-python"}),
        help_text=_("A .py file of 1 MB at most, named with letters, digits, '_' and '-'. A "
                    "script of the same name is replaced."))

    def clean_script(self) -> tuple[str, bytes]:
        upload: UploadedFile = self.cleaned_data["script"]
        name = upload.name or ""
        if not SCRIPT_NAME.fullmatch(name):
            raise forms.ValidationError(_("The name must be letters, digits, '_' and '-' (64 at "
                                          "most, starting with a letter or a digit) and end in "
                                          ".py."))
        if (upload.size or 0) > SCRIPT_MAX_BYTES:
            raise forms.ValidationError(_("The script is larger than 1 MB."))
        data = upload.read(SCRIPT_MAX_BYTES + 1)
        if len(data) > SCRIPT_MAX_BYTES:
            raise forms.ValidationError(_("The script is larger than 1 MB."))
        return name, check_source(name, data)


def check_source(name: str, data: bytes) -> bytes:
    """`data` if it is a Python script as text; a ValidationError otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise forms.ValidationError(_("The script is not UTF-8 text.")) from None
    if "\x00" in text:
        raise forms.ValidationError(_("The script is not text: it holds NUL characters."))
    try:
        compile(text, name, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise forms.ValidationError(
            _("The script is not valid Python (line %(line)s): %(message)s"),
            params={"line": error.lineno or "?", "message": (error.msg or "")[:200]}) from None
    except (ValueError, RecursionError, MemoryError):
        raise forms.ValidationError(_("The script is not valid Python.")) from None
    return data


class RunForm(forms.Form):
    script = forms.ChoiceField(label=_("Script to run"))

    def __init__(self, *args: Any, scripts: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "run_%s")  # beside ScriptForm on one page: ids apart
        super().__init__(*args, **kwargs)
        self.fields["script"].choices = [(s, s) for s in scripts]
