"""Where `in_cohort` finds the cohorts it names: any mapping of names to definitions, such as
the definitions beside a definition file (`beside`), or the saved cohorts of the web platform."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from hygie.cohorts.model import Cohort, DefinitionError

SUFFIXES = (".yaml", ".yml", ".json")


class FolderLibrary(Mapping[str, Cohort]):
    """The definitions of one folder, each in a file named after it (`t2d.yaml` holds `name: t2d`),
    read when first asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._loaded: dict[str, Cohort] = {}

    def _file(self, name: str) -> Path | None:
        return next((p for p in (self.folder / f"{name}{s}" for s in SUFFIXES) if p.is_file()), None)

    def __getitem__(self, name: str) -> Cohort:
        if name not in self._loaded:
            path = self._file(name)
            if path is None:
                raise KeyError(name)
            cohort = Cohort.load(path)
            if cohort.name != name:
                raise DefinitionError([("name", f"{path.name} defines {cohort.name!r}, not "
                                                f"{name!r}: name the file after the cohort")],
                                      str(path))
            self._loaded[name] = cohort
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._file(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({p.stem for p in self.folder.iterdir() if p.suffix in SUFFIXES}))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def beside(definition: Path) -> FolderLibrary:
    """The library of the definitions in the same folder as a definition file."""
    return FolderLibrary(Path(definition).parent)
