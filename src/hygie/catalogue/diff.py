"""What changed between two versions of a dataset description."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec

COMPARED = [f.name for f in fields(VariableSpec) if f.name != "name"]
TABLE_COMPARED = ("title_fr", "title_en", "description_fr", "description_en", "product",
                  "primary_key", "relations")


@dataclass
class TableChanges:
    name: str
    variables_added: list[str] = field(default_factory=list)
    variables_removed: list[str] = field(default_factory=list)
    # variable -> {attribute: (before, after)}
    variables_modified: dict[str, dict[str, tuple[object, object]]] = field(default_factory=dict)
    table_modified: dict[str, tuple[object, object]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.variables_added or self.variables_removed or self.variables_modified
                    or self.table_modified)


@dataclass
class Changes:
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    tables_modified: list[TableChanges] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tables_added or self.tables_removed or self.tables_modified)

    def summary(self) -> dict[str, int]:
        return {"tables_added": len(self.tables_added),
                "tables_removed": len(self.tables_removed),
                "tables_modified": len(self.tables_modified),
                "variables_added": sum(len(t.variables_added) for t in self.tables_modified),
                "variables_removed": sum(len(t.variables_removed) for t in self.tables_modified),
                "variables_modified": sum(len(t.variables_modified) for t in self.tables_modified)}


def _attributes(before: object, after: object, names: tuple[str, ...] | list[str]
                ) -> dict[str, tuple[object, object]]:
    return {n: (getattr(before, n), getattr(after, n)) for n in names
            if getattr(before, n) != getattr(after, n)}


def _table(old: TableSpec, new: TableSpec) -> TableChanges:
    out = TableChanges(new.name, table_modified=_attributes(old, new, TABLE_COMPARED))
    before = {v.name: v for v in old.variables}
    after = {v.name: v for v in new.variables}
    out.variables_added = [n for n in after if n not in before]
    out.variables_removed = [n for n in before if n not in after]
    for name in after.keys() & before.keys():
        attrs = _attributes(before[name], after[name], COMPARED)
        if attrs:
            out.variables_modified[name] = attrs
    out.variables_modified = dict(sorted(out.variables_modified.items()))
    return out


def diff(old: VersionSpec, new: VersionSpec) -> Changes:
    before = {t.name: t for t in old.tables}
    after = {t.name: t for t in new.tables}
    changes = Changes(tables_added=sorted(after.keys() - before.keys()),
                      tables_removed=sorted(before.keys() - after.keys()))
    for name in sorted(after.keys() & before.keys()):
        table = _table(before[name], after[name])
        if table:
            changes.tables_modified.append(table)
    return changes
