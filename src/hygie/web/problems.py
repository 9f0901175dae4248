"""Problems of a cohort definition or an uploaded description, in the reader's language.

The engine and the catalogue's readers (`hygie.cohorts`, `hygie.catalogue`) name problems in
English, without Django: "codes[0]: 'ZZZ' is not a ATC code (e.g. A10BA02, or A10B*)". Here each
known message is an English pattern, which is also its msgid: the parts that vary (a code, a
number, a name) are `%(name)s` placeholders, matched in the English text and put back into the
translation. Placeholders named in FRAGMENT_PARTS are themselves English text, translated in
turn. A message that no pattern matches is shown as it is (English): a test lists the messages
each module can give so that a new one does not go unnoticed.

Places keep what the person typed (keys of the definition, names of tables and fields) and
translate the words around them: "line 3, column 7" is "ligne 3, colonne 7".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

# --- places ---------------------------------------------------------------------------------------

PLACES = [
    gettext_noop("line %(line)s, column %(column)s"),
    gettext_noop("definition"),
    gettext_noop("file"),
    gettext_noop("descriptor"),
    gettext_noop("package"),
    gettext_noop("schema"),
    gettext_noop("tables"),
    gettext_noop("table"),
    gettext_noop("table %(name)s"),
    gettext_noop("nomenclature %(name)s"),
    gettext_noop("resource %(name)s"),
    gettext_noop("nomenclature %(name)s row %(row)s"),
    gettext_noop("%(where)s data row %(row)s"),
    gettext_noop("%(table)s field %(n)s"),
    gettext_noop("%(table)s primary key"),
    gettext_noop("%(table)s foreign keys"),
    gettext_noop("%(table)s foreign key (%(fields)s)"),
    gettext_noop("%(table)s foreign key %(n)s"),
    gettext_noop("%(table)s foreign key"),
    gettext_noop("package temporal"),
    gettext_noop("package temporal.%(key)s"),
]

# --- messages -------------------------------------------------------------------------------------

DEFINITION_MESSAGES = [
    # hygie.cohorts.model
    gettext_noop("a window is [start, end] relative to the index date, e.g. [-365 days, -1 day]; null "
       "leaves a side open"),
    gettext_noop("start after end (%(start)s > %(end)s)"),
    gettext_noop("a calendar span is [first day, last day], e.g. [2021-01-01, 2021-12-31]"),
    gettext_noop("the span ends (%(end)s) before it starts (%(start)s)"),
    gettext_noop("the period ends (%(end)s) before it starts (%(start)s)"),
    gettext_noop("empty code list: give codes, or from_csv with codes"),
    gettext_noop("give min, max or both (ages in completed years, bounds included)"),
    gettext_noop("max (%(max)s) is below min (%(min)s)"),
    gettext_noop("give one of window, in_year or between, not %(keys)s"),
    gettext_noop("within must be at least 1 day"),
    gettext_noop("within needs at_least of 2 or more"),
    gettext_noop("give on or throughout, not both"),
    gettext_noop("empty list"),
    gettext_noop("a coverage window needs both bounds, e.g. [-365 days, 0 days]"),
    gettext_noop("give one of any_of (entry events), registered_on (a day) or reimbursed_care: true"),
    gettext_noop("give one of any_of (entry events), registered_on (a day) or reimbursed_care: true, not "
       "%(keys)s"),
    gettext_noop("entry events are taken in the study period; a window belongs to require and exclude "
       "criteria"),
    gettext_noop("entry events are taken in the study period; %(key)s belongs to require and exclude "
       "criteria"),
    gettext_noop("give one of first, last or count, with an event criterion"),
    gettext_noop("a value takes every event of its window: no at_least or within"),
    gettext_noop("%(name)s is a column of every cohort; choose another name"),
    gettext_noop("%(day)s is outside the study period (%(start)s..%(end)s)"),
    gettext_noop("unknown codelist %(name)s (defined: none)"),
    gettext_noop("unknown codelist %(name)s (defined: %(defined)s)"),
    gettext_noop("codelist %(name)s is %(system)s; %(kind)s needs %(keys)s"),
    gettext_noop("within applies to entry criteria; in require and exclude, the window bounds the count"),
    gettext_noop("expected a mapping of keys (name, period, codelists, entry, require, exclude)"),
    gettext_noop("nested too deep"),
    gettext_noop("an entry criterion is an event: name exactly one of %(kinds)s"),
    gettext_noop("a criterion names exactly one of %(kinds)s"),
    gettext_noop("required"),
    gettext_noop("unknown key %(key)s (did you mean %(close)s?)"),
    gettext_noop("unknown key %(key)s"),
    gettext_noop("%(key)s is not allowed here"),
    gettext_noop("must be at least %(n)s"),
    gettext_noop("must be at most %(n)s"),
    gettext_noop("use letters, digits and _ (starting with a letter, at most 64 characters)"),
    gettext_noop("%(value)s is not allowed; expected %(keys)s"),
    # hygie.cohorts.compile
    gettext_noop("a cycle of in_cohort references: %(chain)s"),
    gettext_noop("unknown cohort %(name)s (known: %(known)s)"),
    # hygie.cohorts.codes
    gettext_noop("%(value)s is not a duration (e.g. 365 days)"),
    gettext_noop("%(value)s: months and years have no fixed length; write days (e.g. 365 days)"),
    gettext_noop("%(value)s is not a duration (e.g. 365 days, -1 day, 2 weeks)"),
    gettext_noop("%(value)s is not a French department code (e.g. 75, 2A, 971)"),
    gettext_noop("%(value)s is not a region code; valid regions: %(valid)s"),
    gettext_noop("unknown code system %(name)s; valid systems: %(valid)s"),
    # after the department's and region's: the general shape of a code's message
    gettext_noop("%(code)s is not a %(system)s code (e.g. %(example)s)%(hint)s"),
    # hygie.cohorts.limits
    gettext_noop("%(day)s lies outside %(first)s-%(last)s"),
    gettext_noop("%(n)s days is longer than %(max)s days (100 years)"),
    gettext_noop("nested more than %(n)s levels deep"),
    gettext_noop("more than %(n)s values once aliases are expanded"),
    gettext_noop("%(n)s entry events and criteria; at most %(limit)s"),
    gettext_noop("%(n)s codes; at most %(limit)s"),
    gettext_noop("%(n)s code lists; at most %(limit)s"),
    gettext_noop("%(n)s values; at most %(limit)s"),
    # hygie.web.feasibility.definitions
    gettext_noop("code list files cannot be used on the platform; list the codes in `codes`"),
    gettext_noop("too long (%(n)s characters; at most %(max)s)"),
    gettext_noop("empty"),
    # pydantic, for values of the wrong type
    gettext_noop("Input should be a valid integer"),
    gettext_noop("Input should be a valid integer, unable to parse string as an integer"),
    gettext_noop("Input should be a valid string"),
    gettext_noop("Input should be a valid list"),
    gettext_noop("Input should be a valid boolean"),
    gettext_noop("Input should be a valid dictionary or instance of %(model)s"),
    gettext_noop("Input should be a valid dictionary"),
    gettext_noop("Input should be a valid date or datetime, %(detail)s"),
    gettext_noop("Input should be a valid date in the format YYYY-MM-DD, %(detail)s"),
    gettext_noop("Input should be a valid date"),
    gettext_noop("Input should be True"),
    gettext_noop("Input should be True or a valid string"),
    gettext_noop("List should have at least 1 item after validation, not 0"),
    # PyYAML (a syntax error, placed by its line and column)
    gettext_noop("expected %(keys)s, but got %(found)s"),
    gettext_noop("expected %(keys)s, but found %(found)s"),
    gettext_noop("mapping values are not allowed here"),
    gettext_noop("could not find expected ':'"),
    gettext_noop("found character %(char)s that cannot start any token"),
    gettext_noop("found undefined alias %(name)s"),
    gettext_noop("found unexpected end of stream"),
    gettext_noop("found unknown escape character %(char)s"),
    gettext_noop("found unhashable key"),
    gettext_noop("block sequence entries are not allowed here"),
    gettext_noop("found a tab character that violates indentation"),
    gettext_noop("expected a comment or a line break, but found %(found)s"),
    gettext_noop("found duplicate anchor %(name)s; first occurrence"),
]

UPLOAD_MESSAGES = [
    # hygie.catalogue.frictionless
    gettext_noop("larger than the %(n)s bytes allowed"),
    gettext_noop("not UTF-8 text (byte %(n)s)"),
    gettext_noop("malformed JSON: a number has more than 4,300 digits"),
    gettext_noop("malformed JSON: %(detail)s"),
    gettext_noop("a JSON object is expected, not %(kind)s"),
    gettext_noop("neither a Table Schema (no 'fields') nor a Data Package (no 'resources')"),
    gettext_noop("and %(n)s more problems"),
    gettext_noop("profile %(name)s: only the standard profiles are accepted"),
    gettext_noop("%(name)s: only the Data Package standard's profiles are accepted"),
    gettext_noop("external %(key)s %(name)s is not fetched: include it in the file"),
    gettext_noop("not a valid %(kind)s descriptor (%(detail)s)"),
    gettext_noop("%(prop)s must be text, not %(kind)s"),
    gettext_noop("%(prop)s is longer than %(n)s characters"),
    gettext_noop("no name"),
    gettext_noop("the name must be text, not %(kind)s"),
    gettext_noop("the name is longer than %(n)s characters"),
    gettext_noop("name %(name)s: use letters, digits, '_', '-' or '.' only"),
    gettext_noop("a field must be an object, not %(kind)s"),
    gettext_noop("the type must be text, not %(kind)s"),
    gettext_noop("the format is longer than %(n)s characters"),
    gettext_noop("%(prop)s must be a date as text"),
    gettext_noop("'constraints.maxLength' must be between 0 and %(n)s"),
    gettext_noop("'length' %(value)s is not a length (e.g. \"10\" or \"10,2\", at most %(n)s)"),
    gettext_noop("'nomenclature' must name a code list, not %(kind)s"),
    gettext_noop("'nomenclature' is longer than %(n)s characters"),
    gettext_noop("the schema has no 'name' (the table's name)"),
    gettext_noop("'fields' must be a list, not %(kind)s"),
    gettext_noop("'product' must be a short text"),
    gettext_noop("a field name or a list of field names is expected"),
    gettext_noop("a list is expected, not %(kind)s"),
    gettext_noop("a foreign key needs 'fields' and a 'reference'"),
    gettext_noop("'reference.resource' must name a table"),
    gettext_noop("'resources' must be a non-empty list"),
    gettext_noop("a resource must be an object, not %(kind)s"),
    gettext_noop("no 'schema' (the table's fields)"),
    gettext_noop("a table and a code list have the same name"),
    gettext_noop("a year (e.g. 2019 or \"2019-01-01\") is expected"),
    gettext_noop("the start comes after the end"),
    gettext_noop("'nomenclature' must be an object naming its 'code' field"),
    gettext_noop("'nomenclature.label' must name a field"),
    gettext_noop("a code list carries its codes inline, in 'data'"),
    gettext_noop("the code field %(column)s is not in the data"),
    gettext_noop("the label field %(column)s is not in the data"),
    gettext_noop("code %(value)s is listed %(n)s times"),
    gettext_noop("%(n)s values for %(m)s columns"),
    gettext_noop("'data' must be a list of objects, or of lists under a header row"),
    # hygie.catalogue.spec
    gettext_noop("the description has no table"),
    gettext_noop("defined %(n)s times"),
    gettext_noop("a table has no name"),
    gettext_noop("the table has no variable"),
    gettext_noop("unknown type %(type)s (one of %(types)s)"),
    gettext_noop("unknown nomenclature %(name)s"),
    gettext_noop("no variable %(name)s"),
    gettext_noop("refers to unknown table %(name)s"),
    gettext_noop("field counts differ"),
    gettext_noop("%(table)s has no variable %(name)s"),
    # hygie.web.catalogue.importer
    gettext_noop("no column %(name)s"),
    gettext_noop("a name must be a single line of text (no line break, control or direction character)"),
    # frictionless's own notes (JSON Schema)
    gettext_noop("%(value)s is not of type %(type)s"),
    gettext_noop("%(prop)s is a required property"),
    gettext_noop("%(value)s is not one of %(choices)s"),
    gettext_noop("%(value)s does not match %(pattern)s"),
    gettext_noop("Additional properties are not allowed (%(props)s was unexpected)"),
    gettext_noop("Additional properties are not allowed (%(props)s were unexpected)"),
    gettext_noop("one of the properties %(keys)s is required"),
    # JSON syntax (json.loads), after "malformed JSON:"
    gettext_noop("Expecting value"),
    gettext_noop("Expecting ',' delimiter"),
    gettext_noop("Expecting ':' delimiter"),
    gettext_noop("Expecting property name enclosed in double quotes"),
    gettext_noop("Extra data"),
    gettext_noop("Unterminated string starting at"),
    gettext_noop("Invalid control character at"),
    gettext_noop("Invalid \\escape"),
    gettext_noop("Illegal trailing comma before end of object"),
    gettext_noop("Illegal trailing comma before end of array"),
]

# English parts of a message that are themselves translated (an example, a hint, the kind of a
# value), and the words joining lists of keys.
FRAGMENTS = [
    gettext_noop("; ATC codes name a substance (7 characters); for a class, add a star"),
    gettext_noop("%(first)s, or %(second)s"),
    gettext_noop("%(code)s (or %(padded)s for %(short)s)"),
    gettext_noop("input is too short"), gettext_noop("input is too long"),
    gettext_noop("invalid character in year"), gettext_noop("invalid character in month"),
    gettext_noop("invalid character in day"),
    gettext_noop("month value is outside expected range of 1-12"),
    gettext_noop("day value is outside expected range"),
    gettext_noop("invalid date separator, expected `-`"),
    gettext_noop("a list"), gettext_noop("a string"), gettext_noop("a number"), gettext_noop("a boolean"),
]
FRAGMENT_PARTS = {"example", "hint", "kind", "detail"}
# In lists of keys: "window and in_year", "',' or '}'".
JOINING_WORDS = (gettext_noop(" and "), gettext_noop(" or "))

# --- matching -------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _pattern(msgid: str) -> re.Pattern[str]:
    """The English message as a regular expression: each placeholder matches any text."""
    parts, last = [], 0
    for m in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[last:m.start()]))
        parts.append(f"(?P<{m.group(1)}>.*?)")
        last = m.end()
    parts.append(re.escape(msgid[last:]))
    return re.compile("".join(parts), re.DOTALL)


def _translate(text: str, msgids: Iterable[str]) -> str:
    for msgid in msgids:
        m = _pattern(msgid).fullmatch(text)
        if m is None:
            continue
        values = {k: _part(k, v) for k, v in m.groupdict().items()}
        return _(msgid) % values if values else _(msgid)
    return text


def _part(name: str, value: str) -> str:
    if name in FRAGMENT_PARTS:
        return _translate(value, [*DEFINITION_MESSAGES, *UPLOAD_MESSAGES, *FRAGMENTS])
    if name == "keys":
        for word in JOINING_WORDS:
            value = value.replace(word, _(word))
    return value


def _english() -> bool:
    return (get_language() or "en").split("-")[0] == "en"


def place(text: str) -> str:
    """A problem's place, in the reader's language."""
    return text if _english() else _translate(text, PLACES)


def message(text: str) -> str:
    """A problem's message, in the reader's language."""
    return text if _english() else _translate(text, [*DEFINITION_MESSAGES, *UPLOAD_MESSAGES])


def problem(where: str, what: str) -> tuple[str, str]:
    return place(where), message(what)


def problems(found: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each (place, message) in the reader's language."""
    return [problem(where, what) for where, what in found]


def lines(found: Iterable[tuple[str, str]]) -> list[str]:
    """Each problem as one line, "place: message" in the reader's language."""
    return [_("%(place)s: %(message)s") % {"place": where, "message": what}
            for where, what in problems(found)]
