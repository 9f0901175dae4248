"""The catalogue's core, free of Django: dataset descriptions as plain specs, where they come from
(the packaged SNDS schemas, any Frictionless Table Schema or Data Package), and what changed
between two versions. `hygie.web.catalogue` stores and shows them.
"""

from hygie.catalogue.spec import (
    NomenclatureSpec,
    RelationSpec,
    SpecError,
    TableSpec,
    VariableSpec,
    VersionSpec,
)

__all__ = ["NomenclatureSpec", "RelationSpec", "SpecError", "TableSpec", "VariableSpec",
           "VersionSpec"]
