"""A project's authorised scope: the cohort, the tables and columns allowed, the period.

```yaml
project: 2024-0042
cohort: t2d_treated.yaml        # a cohort definition, relative to this file
tables:
  IR_BEN_R: [BEN_SEX_COD, BEN_NAI_ANN, BEN_RES_DPT]
  ER_PHA_F: [PHA_PRS_C13, PHA_ACT_QSN]
  ER_PRS_F: [EXE_SOI_DTD, PRS_NAT_REF]
period: {start: 2019-01-01, end: 2022-12-31}
engine: duckdb
```

Every problem is reported before any work: unknown tables or columns, identifiers asked for (each
output row carries the project pseudonym instead), tables the extractor cannot link to a person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hygie.engine.lake import Dataset
from hygie.snds.persons import DCIR_KEYS
from hygie.snds.schemas import load_schemas

# Person identifiers of the SNDS: never released, replaced by the project pseudonym PSEUDO_ID.
IDENTIFIERS = frozenset({"BEN_NIR_PSA", "BEN_RNG_GEM", "BEN_NIR_ANO", "BEN_IDT_ANO", "ASS_NIR_ANO",
                         "NIR_ANO_17", "NIR_ANO_MAM", "DCD_IDT_ENC", "BEN_IDT_TOP"})
# Row keys that link tables of one project: replaced by keyed LINE_ID / STAY_ID.
ROW_KEYS = frozenset({*DCIR_KEYS, "RSA_NUM"})
_PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_BYTES = 1 << 20  # a scope is a few lines; bound what is parsed


class ScopeError(ValueError):
    """The scope cannot be honoured; the message lists every problem."""


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str
    cohort: str
    tables: dict[str, list[str]] = Field(min_length=1)
    period: Period
    engine: Literal["duckdb", "spark"] = "duckdb"
    base: Path = Field(default=Path("."), exclude=True)  # folder the cohort path is relative to

    @field_validator("project")
    @classmethod
    def _project(cls, v: str) -> str:
        if not _PROJECT.match(v):
            raise ValueError("project ids are 1-64 letters, digits, '.', '_' or '-'")
        return v

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scope:
        path = Path(path)
        try:
            with path.open("rb") as fh:
                text = fh.read(MAX_BYTES + 1)
            if len(text) > MAX_BYTES:
                raise ScopeError(f"{path}: larger than the {MAX_BYTES:,} bytes a scope may have")
            raw = yaml.safe_load(text.decode("utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ScopeError(f"{path}: cannot read the scope ({str(exc)[:300]})") from None
        except UnicodeDecodeError as exc:
            raise ScopeError(f"{path}: not UTF-8 text (byte {exc.start})") from None
        except RecursionError:
            raise ScopeError(f"{path}: nested too deeply") from None
        if not isinstance(raw, dict):
            raise ScopeError(f"{path}: a scope is a mapping (project, cohort, tables, period)")
        try:
            return cls(**raw, base=path.parent)
        except ValidationError as exc:
            raise ScopeError(f"{path}: " + "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())) from None

    @property
    def cohort_path(self) -> Path:
        return self.base / self.cohort

    def check(self, dataset: Dataset) -> None:
        """Raise a ScopeError listing every table or column the scope cannot have."""
        from hygie.snds.persons import supported

        problems = []
        schemas = load_schemas()
        if not self.cohort_path.is_file():
            problems.append(f"cohort definition {self.cohort_path} not found")
        for table, columns in self.tables.items():
            if table not in schemas:
                problems.append(f"{table}: unknown SNDS table")
                continue
            if table not in dataset.tables:
                problems.append(f"{table}: not in the dataset {dataset.path}")
            if not supported(table):
                problems.append(f"{table}: cannot be linked to a person by the extractor")
            fields = set(schemas.table(table).field_names)
            for col in columns:
                if col in IDENTIFIERS:
                    problems.append(f"{table}.{col}: person identifiers are never extracted; "
                                    "every row carries the project pseudonym PSEUDO_ID")
                elif col in ROW_KEYS:
                    problems.append(f"{table}.{col}: row keys are replaced by LINE_ID/STAY_ID")
                elif col not in fields:
                    problems.append(f"{table}.{col}: no such column")
            if len(set(columns)) != len(columns):
                problems.append(f"{table}: a column is listed twice")
        if problems:
            raise ScopeError("scope refused:\n- " + "\n- ".join(problems))

    def digest(self) -> str:
        """sha256 of the scope and of its cohort definition's text, for provenance."""
        data = self.model_dump(mode="json")
        cohort = self.cohort_path.read_bytes() if self.cohort_path.is_file() else b""
        blob = json.dumps(data, sort_keys=True).encode() + b"\0" + cohort
        return hashlib.sha256(blob).hexdigest()
