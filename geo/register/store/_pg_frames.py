"""The register's tables in and out of PostgreSQL as frames (the PostGIS store's conversions).

Reading moves units and observations through ``COPY ... TO STDOUT`` as CSV parsed by Arrow,
dates and times as numbers (formatting them as text costs the server more than the rest); the
observations for the figures through ADBC when it is installed (binary ``COPY`` into Arrow in C++);
writing gives geometries as hex EWKB, ids from the tables' sequences, and unit changes
in one ``UPDATE ... FROM`` a temporary table.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

from geo import settings
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS, VISIT_COLUMNS
from geo.register.store._pg import copy_in, copy_out, scrub
from geo.register.store._sqlite import records
from geo.register.store.base import (
    FIGURE_OBSERVATION_COLUMNS,
    FIGURE_UNIT_COLUMNS,
    figure_observations,
    normalise_observations,
    normalise_visits,
)

if TYPE_CHECKING:
    import psycopg

_TEXT = pa.string()

log = logging.getLogger(__name__)


def _csv(buffer: Any, names: Sequence[str], types: dict[str, pa.DataType]) -> pa.Table:
    """CSV of ``COPY`` as an Arrow table: unquoted empty is NULL, ``""`` the empty text."""
    if not buffer.getbuffer().nbytes:  # no rows (Arrow refuses an empty file)
        return pa.table({n: pa.array([], types.get(n, _TEXT)) for n in names})
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=list(names), block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: types.get(n, _TEXT) for n in names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )


#: A date column as days since 1970-01-01, a time column as seconds or milliseconds since then (UTC);
#: ``date_part`` computes in floating point, ``extract`` in ``numeric`` (a third more of the server's time
#: for a million rows); exact to the microsecond until the year 2255.
_DAYS = "({0} - DATE '1970-01-01')"
_EPOCH_S = "floor(date_part('epoch', {0}))::bigint"
_EPOCH_MS = "floor(date_part('epoch', {0}) * 1000)::bigint"



def read_units(cur: psycopg.Cursor[Any], where: str, params: Any, *, figures_only: bool) -> gpd.GeoDataFrame:
    columns = list(FIGURE_UNIT_COLUMNS if figures_only else UNIT_COLUMNS)
    names = columns if figures_only else [*columns, "geom"]
    select = [_EPOCH_MS.format(c) if c == "created_at" else c for c in columns]
    if not figures_only:
        select.append("encode(ST_AsBinary(geom), 'hex')")
    table = _csv(
        copy_out(cur, f"SELECT {', '.join(select)} FROM units{where} ORDER BY fid", params), names,
        {"floor_area_m2": pa.float64(), "created_at": pa.int64()},
    )
    table = table.set_column(
        names.index("created_at"), "created_at", pc.cast(table.column("created_at"), pa.timestamp("ms"))
    )
    if figures_only:
        geometry = np.full(table.num_rows, None, dtype=object)
    else:
        geometry = shapely.from_wkb(table.column("geom").to_numpy(zero_copy_only=False))
        table = table.drop_columns(["geom"])
    frame = table.to_pandas().reindex(columns=list(UNIT_COLUMNS))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=settings.storage_crs)

def read_observations(
    cur: psycopg.Cursor[Any], where: str, params: Any, *, figures_only: bool, url: str | None = None
) -> pd.DataFrame:
    """The observations (all, or those of ``where``), in the snapshot of ``cur``'s transaction.

    For the figures of the whole register through ADBC when installed (:func:`_figure_observations_adbc`),
    else as CSV of ``COPY`` parsed by Arrow: dates and times travel as numbers (formatting them as
    text costs the server more than the rest).
    """
    if figures_only and not where and url is not None:
        frame = _figure_observations_adbc(cur, url)
        if frame is not None:
            return frame
    names = list(FIGURE_OBSERVATION_COLUMNS if figures_only else OBSERVATION_COLUMNS)
    select = [
        _DAYS.format(c) if c == "observed_on" else _EPOCH_S.format(c) if c == "recorded_at" else c for c in names
    ]
    # for the figures in the table's order (sorted after, when it is not that of obs_id): the server
    # need not sort a million rows
    order = "" if figures_only else " ORDER BY obs_id"
    table = _csv(
        copy_out(cur, f"SELECT {', '.join(select)} FROM observations{where}{order}", params), names,
        {
            "obs_id": pa.int64(), "supersedes": pa.int64(), "import_id": pa.int64(),
            "observed_on": pa.int32(), "new_settlement": pa.bool_(), "recorded_at": pa.int64(),
        },
    )
    if figures_only:
        stamps = pc.cast(table.column("recorded_at"), pa.timestamp("s"))
        return figure_observations(table.set_column(names.index("recorded_at"), "recorded_at", stamps))
    days = pc.cast(pc.cast(table.column("observed_on"), pa.date32()), pa.timestamp("s"))
    table = table.set_column(names.index("observed_on"), "observed_on", days)
    stamps = pc.cast(table.column("recorded_at"), pa.timestamp("s"))
    table = table.set_column(names.index("recorded_at"), "recorded_at", stamps)
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    return normalise_observations(frame)

def _figure_observations_adbc(cur: psycopg.Cursor[Any], url: str) -> pd.DataFrame | None:
    """The observations for the figures through the ADBC driver, ``None`` when it is not installed or fails.

    ADBC reads binary ``COPY`` straight into Arrow in C++: a million rows cost about 0.5 s of CPU
    against 0.8 s through psycopg's ``COPY``, which hands every row to Python. Its own connection
    reads in the snapshot of ``cur``'s transaction (``pg_export_snapshot``), so it sees what the rest
    of the read sees. On any error of that connection ``None``: the caller reads through psycopg,
    which names the cause when there is one.
    """
    try:
        import adbc_driver_postgresql.dbapi as adbc
    except ImportError:  # the driver is optional (the ``postgis`` extra brings it)
        return None
    snapshot = str(cur.execute("SELECT pg_export_snapshot()").fetchone()[0])  # type: ignore[index]
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # pragma: no cover - the server's own format
        return None
    try:
        with adbc.connect(url) as con, con.cursor() as reader:
            reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            reader.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            reader.execute(f"SELECT {', '.join(FIGURE_OBSERVATION_COLUMNS)} FROM observations")
            table = reader.fetch_arrow_table()
            con.rollback()
    except adbc.Error as exc:
        log.debug("ADBC: Beobachtungen über psycopg gelesen (%s)", scrub(str(exc), url))
        return None
    return figure_observations(table)


def read_boundaries(cur: psycopg.Cursor[Any]) -> gpd.GeoDataFrame:
    rows = cur.execute(
        "SELECT name, quarter, source, approximate, ST_AsBinary(geom) FROM boundaries ORDER BY fid"
    ).fetchall()
    frame = pd.DataFrame.from_records(rows, columns=["name", "quarter", "source", "approximate", "geom"])
    geometry = shapely.from_wkb(np.asarray([None if g is None else bytes(g) for g in frame.pop("geom")]))
    frame["approximate"] = frame["approximate"].astype(bool)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=settings.storage_crs)

def read_visits(cur: psycopg.Cursor[Any], where: str, params: Any) -> pd.DataFrame:
    text_time = "to_char({0}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    text_day = "to_char({0}, 'YYYY-MM-DD')"
    columns = [
        text_day.format(c) if c in ("visited_on", "follow_up_on")
        else text_time.format(c) if c == "recorded_at" else c
        for c in VISIT_COLUMNS
    ]
    rows = cur.execute(
        f"SELECT {', '.join(columns)} FROM visits{where} ORDER BY visit_id",
        params,
    ).fetchall()
    return normalise_visits(pd.DataFrame.from_records(rows, columns=list(VISIT_COLUMNS)))


def ewkb(geometry: gpd.GeoSeries, *, multi: bool = False) -> list[str | None]:
    """Geometries as hex EWKB with SRID 4326 (what a ``geometry`` column takes in ``COPY``); missing as ``None``."""
    arr = np.array(geometry, dtype=object)  # a copy: polygons are replaced in it
    if multi:
        polygons = shapely.get_type_id(arr) == shapely.GeometryType.POLYGON
        arr[polygons] = [shapely.MultiPolygon([g]) for g in arr[polygons]]
    arr = shapely.set_srid(arr, 4326)
    hexes = shapely.to_wkb(arr, hex=True, include_srid=True)
    return [None if h is None else str(h) for h in hexes]


def new_ids(cur: psycopg.Cursor[Any], table: str, column: str, n: int) -> list[int]:
    """``n`` new ids from the table's sequence, ascending (the rows keep the order given)."""
    rows = cur.execute(
        f"SELECT nextval(pg_get_serial_sequence('{table}', '{column}')) FROM generate_series(1, %s)",
        (n,),
    ).fetchall()
    return sorted(int(r[0]) for r in rows)


def update_units(cur: psycopg.Cursor[Any], frame: pd.DataFrame, columns: list[str], *, keep_missing: bool) -> None:
    """Set ``columns`` of the units in ``frame`` (by ``unit_id``) in one statement.

    ``keep_missing``: a missing value keeps the stored one (an update); else it clears it
    (derived areas of a unit outside every Ortsteil).
    """
    stored = ["geom" if c == "geometry" else c for c in columns]
    cur.execute(
        f"CREATE TEMP TABLE qm_unit_changes ON COMMIT DROP AS SELECT unit_id, {', '.join(stored)}"
        " FROM units WITH NO DATA"
    )
    plain = [c for c in columns if c != "geometry"]
    rows = records(frame, ["unit_id", *plain])
    if "geometry" in columns:
        rows = [(*row, geom) for row, geom in zip(rows, ewkb(frame["geometry"]), strict=True)]
    copy_in(cur, "qm_unit_changes", ["unit_id", *plain, *(["geom"] if "geometry" in columns else [])], rows)
    assign = ", ".join(f"{c} = COALESCE(t.{c}, u.{c})" if keep_missing else f"{c} = t.{c}" for c in stored)
    cur.execute(
        f"UPDATE units u SET {assign} FROM qm_unit_changes t WHERE u.unit_id = t.unit_id"
    )
    cur.execute("DROP TABLE qm_unit_changes")
