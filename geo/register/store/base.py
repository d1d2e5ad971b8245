"""What every register backend offers: the :class:`Store` protocol and the data it moves.

A backend (the GeoPackage file now, PostGIS next) implements :class:`Store`:
``read`` the register, ``write`` a :class:`ChangeSet` in one transaction, and
``version`` — a change counter kept in the database, raised by one with every
write, so that caches of several app servers key on it and an edit can say
which version it was made on (``write(..., expected_version=...)``; a stale
one raises :class:`geo.errors.StoreConflict` and nothing is written).

The table conversions here (:func:`normalise_observations`,
:func:`normalise_visits`) give any backend's rows the library's dtypes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.register.history import Register
from geo.register.model import OBSERVATION_COLUMNS, VISIT_COLUMNS


@dataclass
class ChangeSet:
    """Everything one write adds or changes; written in one transaction.

    Attributes
    ----------
    new_units
        Units to add (``UNIT_COLUMNS`` + point geometry, EPSG:4326).
    unit_updates
        ``unit_id`` plus attribute columns; non-missing values replace stored ones.
    observations
        Observations to append (``OBSERVATION_COLUMNS`` without ``obs_id``;
        missing ``recorded_at`` is set to now).
    boundaries
        When given, replaces all stored boundaries.
    visits
        Visits to append (``VISIT_COLUMNS`` without ``visit_id``); a visit may name
        the ``obs_id`` of an observation written in the same change as
        ``obs_index`` (its row position in ``observations``).
    area_assignments
        ``unit_id``, ``ortsteil``, ``quarter``: replaces the units' derived areas,
        missing values included (units outside every Ortsteil).
    meta
        Store metadata to set (``qm_meta``).
    import_record
        When given, an ``imports`` row is written and its id set on the new
        observations: keys ``file_name``, ``mode``, ``rows_read``, ``report``.
    """

    new_units: gpd.GeoDataFrame | None = None
    unit_updates: pd.DataFrame | None = None
    observations: pd.DataFrame | None = None
    boundaries: gpd.GeoDataFrame | None = None
    import_record: dict[str, Any] | None = None
    meta: dict[str, str] | None = None
    area_assignments: pd.DataFrame | None = None
    visits: pd.DataFrame | None = None
    follow_ups_done: list[int] | None = None


@dataclass
class WriteResult:
    """What a write did."""

    units_added: int = 0
    units_updated: int = 0
    observations_added: int = 0
    import_id: int | None = None
    obs_ids: list[int] = field(default_factory=list)
    visit_ids: list[int] = field(default_factory=list)
    #: The store's version after the write (:meth:`Store.version`).
    version: int = 0


class Store(Protocol):
    """What every register backend offers (GeoPackage now, PostGIS next)."""

    location: str

    def read(self, *, unit_ids: Sequence[str] | None = None) -> Register:
        """Read the whole register, or only the given units with their history."""
        ...

    def write(self, changes: ChangeSet, *, expected_version: int | None = None) -> WriteResult:
        """Apply all changes in one transaction, or none of them.

        With ``expected_version``, the write is refused (:class:`geo.errors.StoreConflict`,
        nothing written) when the store's version is another one inside the transaction.
        """
        ...

    def version(self) -> int:
        """The store's change counter: raised by one with every write; one cheap query."""
        ...


def demo_import_refusal(location: str | os.PathLike[str]) -> str:
    """The message refusing an import into a demo store (one text for the library, CLI and app)."""
    return (
        f"{location} ist ein Demo-Register ({settings.demo_label}) und nimmt keine Importe an: echte "
        "Daten gehören nicht in eine Datei, die als Demo gekennzeichnet ist und zurückgesetzt werden "
        "kann. Ein echtes Register legt der erste Import an, z. B. "
        "'python -m geo import liste.csv --store register.gpkg'; danach dieses Register öffnen "
        "(--store, QM_STORE oder in der App auf der Seite Daten)."
    )


def normalise_observations(frame: pd.DataFrame) -> pd.DataFrame:
    """Give an observation table the library's dtypes.

    ``observed_on`` becomes ``datetime64`` (day), ``recorded_at`` ``datetime64``,
    ``new_settlement`` bool, ``obs_id``/``supersedes``/``import_id`` nullable integers.
    """
    frame = frame.reindex(columns=list(OBSERVATION_COLUMNS)).copy()
    frame["observed_on"] = pd.to_datetime(frame["observed_on"], format="ISO8601").astype("datetime64[s]")
    frame["recorded_at"] = (
        pd.to_datetime(frame["recorded_at"], format="ISO8601", utc=True)
        .dt.tz_localize(None)
        .astype("datetime64[s]")
    )
    frame["new_settlement"] = frame["new_settlement"].fillna(False).astype(bool)
    for col in ("obs_id", "supersedes", "import_id"):
        frame[col] = pd.array(pd.to_numeric(frame[col]), dtype="Int64")
    return frame


def normalise_visits(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a visit table the library's dtypes (dates as ``datetime64``, flags bool)."""
    frame = frame.reindex(columns=list(VISIT_COLUMNS)).copy()
    for col in ("visited_on", "follow_up_on"):
        frame[col] = pd.to_datetime(frame[col], format="ISO8601").astype("datetime64[s]")
    frame["recorded_at"] = (
        pd.to_datetime(frame["recorded_at"], format="ISO8601", utc=True).dt.tz_localize(None).astype("datetime64[s]")
    )
    frame["follow_up_done"] = frame["follow_up_done"].fillna(False).astype(bool)
    for col in ("visit_id", "obs_id"):
        frame[col] = pd.array(pd.to_numeric(frame[col]), dtype="Int64")
    return frame


