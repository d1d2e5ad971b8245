"""What every register backend offers: the :class:`Store` protocol and the data it moves.

A backend (the GeoPackage file, PostGIS) implements :class:`Store`:
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
from typing import TYPE_CHECKING, Any, Protocol

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.errors import StoreConflict
from geo.register.history import Register
from geo.register.model import OBSERVATION_COLUMNS, PERSONAL_COLUMNS, UNIT_COLUMNS, VISIT_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

    from geo.access.accounts import Account

#: Unit columns ``read(figures_only=True)`` reads: no personal data, no geometry.
FIGURE_UNIT_COLUMNS: tuple[str, ...] = tuple(c for c in UNIT_COLUMNS if c not in PERSONAL_COLUMNS)
#: Observation columns ``read(figures_only=True)`` reads: what the figures and the history use
#: (:mod:`geo.register.stats`); free text and provenance stay empty.
FIGURE_OBSERVATION_COLUMNS: tuple[str, ...] = (
    "obs_id", "unit_id", "observed_on", "status", "business_name", "new_settlement", "supersedes", "recorded_at",
)


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
    imports
        Rows of another store's ``imports`` table, with their ids (:meth:`Store.imports`);
        only with ``keep_ids``.
    location_checks
        Checks of units' places to append (``LOCATION_CHECK_COLUMNS`` without ``check_id``, or
        with it when ``keep_ids``; missing ``recorded_at`` is set to now), see
        :mod:`geo.register.relocation`.
    keep_ids
        The change is a copy of a whole register (``python -m geo store copy``): observations,
        visits and imports keep the ids they have in the frames, so corrections
        (``supersedes``) and visits still name theirs. Only into an empty store.
    accounts, audit
        Another store's accounts and audit trail (:meth:`~geo.access.accounts.AccessStore.accounts`,
        :meth:`~geo.access.accounts.AccessStore.audit`), copied with it; only with ``keep_ids``.
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
    imports: pd.DataFrame | None = None
    location_checks: pd.DataFrame | None = None
    keep_ids: bool = False
    accounts: list[Account] | None = None
    audit: pd.DataFrame | None = None


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
    """What every register backend offers: :class:`~geo.register.store.gpkg.GeoPackageStore`,
    :class:`~geo.register.store.postgis.PostgisStore`.

    ``location`` names the store in messages (a file path, or a server URL without its password);
    ``target`` is what :func:`geo.register.store.open_store` opens it again by (a URL keeps its
    password there: never shown, used as a cache key only).
    """

    location: str
    target: str

    def read(self, *, unit_ids: Sequence[str] | None = None, figures_only: bool = False) -> Register:
        """Read the whole register, or only the given units with their history.

        ``figures_only``: only what the figures need (:data:`FIGURE_UNIT_COLUMNS`,
        :data:`FIGURE_OBSERVATION_COLUMNS`; the other columns are there but empty, geometries
        missing), for commands that print figures (``stats``, ``timeline``): less to read.
        """
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

    def meta(self) -> dict[str, str]:
        """The store's metadata (``qm_meta``), without reading the register."""
        ...

    @property
    def is_demo(self) -> bool:
        """Whether the store is flagged as the fictional demo (``qm_meta``: ``demo = true``)."""
        ...

    def imports(self) -> pd.DataFrame:
        """The ``imports`` table (one row per import with its report), for a copy of the store."""
        ...

    def location_checks(self) -> pd.DataFrame:
        """The location checks (``LOCATION_CHECK_COLUMNS``, oldest first): places checked or moved by hand."""
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


def conflict_error(location: str, *, version: int, expected: int) -> StoreConflict:
    """The refusal of a write made on version ``expected`` of a store that has ``version`` now."""
    return StoreConflict(
        f"Das Register wurde inzwischen geändert (Version {version}, erwartet {expected}), "
        "z. B. in einer anderen Sitzung; nichts wurde geschrieben. Den aktuellen Stand von "
        f"{location} neu laden, prüfen und die Änderung erneut erfassen.",
        version=version,
        expected=expected,
    )


def not_empty_refusal(location: str) -> str:
    """The message refusing a copy of a whole register into a store that holds one already."""
    return (
        f"{location} enthält bereits ein Register; nichts wurde geschrieben. Eine Kopie geht nur in ein "
        "leeres: eine neue Datei, oder eine Datenbank bzw. ein Schema ohne Register (URL mit "
        "?options=-csearch_path%3Dname,public). Ein Register auf dem Server wird nicht ersetzt: seine "
        "Geschichte ist nur anfügbar."
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


def figure_observations(table: pa.Table) -> pd.DataFrame:
    """The observations of ``read(figures_only=True)`` from an Arrow table of :data:`FIGURE_OBSERVATION_COLUMNS`.

    The dtypes of :func:`normalise_observations` without its copies of the whole frame (a
    million rows): ``observed_on`` a ``date32`` column, ``recorded_at`` a timestamp (naive ones
    are UTC) or ISO text; the other columns of ``OBSERVATION_COLUMNS`` empty; ordered by ``obs_id``.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = pc.fill_null(table.column("obs_id"), 0).to_numpy()
    if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():  # a server's table scan may begin anywhere
        table = table.take(np.argsort(ids, kind="stable"))
    stamps = table.column("recorded_at")
    if pa.types.is_string(stamps.type) or pa.types.is_large_string(stamps.type):
        try:  # ISO text with a zone (as GDAL gives it): Arrow parses it; anything else as pandas does
            stamps = pc.cast(stamps, pa.timestamp("ms", "UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = pd.to_datetime(stamps.to_pandas(), format="ISO8601", utc=True).dt.tz_localize(None)
            stamps = pa.chunked_array([pa.array(parsed.to_numpy().astype("datetime64[ms]"), from_pandas=True)])
    recorded = stamps.to_numpy().astype("datetime64[s]")  # UTC, without the zone
    observed = pc.cast(table.column("observed_on"), pa.date32()).to_numpy().astype("datetime64[s]")
    settled = pc.fill_null(table.column("new_settlement"), False).to_numpy()
    frame = table.select(["obs_id", "unit_id", "status", "business_name", "supersedes"]).to_pandas(
        types_mapper={pa.int64(): pd.Int64Dtype()}.get
    )
    n = len(frame)
    columns: dict[str, Any] = {
        "observed_on": observed, "new_settlement": settled.astype(bool), "recorded_at": recorded,
        "import_id": pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, bool)),  # all missing
    }
    for c in OBSERVATION_COLUMNS:  # free text and provenance: not read
        columns.setdefault(c, frame[c] if c in frame.columns else np.full(n, np.nan))
    return pd.DataFrame({c: columns[c] for c in OBSERVATION_COLUMNS}, index=frame.index, copy=False)  # no copies


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


