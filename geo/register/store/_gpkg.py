"""GeoPackage plumbing: core schema and the geometry blob format.

The store writes through :mod:`sqlite3` so that every change is a single
SQLite transaction (GDAL-based writers commit layer by layer). The file stays a
standard GeoPackage 1.4 (OGC 12-128r19) that GDAL, QGIS and geopandas read as is.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterable, Sequence

import numpy as np
import shapely

#: ``PRAGMA application_id`` of a GeoPackage ("GPKG").
APPLICATION_ID = 0x47504B47
#: ``PRAGMA user_version`` of GeoPackage 1.4.0.
USER_VERSION = 10400

_SRS_ROWS = (
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
    (
        "WGS 84 geodetic",
        4326,
        "EPSG",
        4326,
        'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
        'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
        'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
        'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
    ),
)

CORE_SCHEMA = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""


def init_core(con: sqlite3.Connection) -> None:
    """Create the GeoPackage core tables in an empty database."""
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute(f"PRAGMA user_version = {USER_VERSION}")
    con.executescript(CORE_SCHEMA)
    con.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", _SRS_ROWS)


def register_table(
    con: sqlite3.Connection,
    table: str,
    *,
    description: str,
    geometry_column: str | None = None,
    geometry_type: str = "GEOMETRY",
    srs_id: int = 4326,
) -> None:
    """Enter a table in ``gpkg_contents`` (and ``gpkg_geometry_columns``)."""
    data_type = "features" if geometry_column else "attributes"
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)"
        " VALUES (?,?,?,?,?)",
        (table, data_type, table, description, srs_id if geometry_column else None),
    )
    if geometry_column:
        con.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?,?,?,?,0,0)",
            (table, geometry_column, geometry_type, srs_id),
        )


def touch_table(con: sqlite3.Connection, table: str, bounds: Sequence[float] | None = None) -> None:
    """Update ``last_change`` (and the extent, when given) of a table."""
    if bounds is not None and np.all(np.isfinite(bounds)):
        con.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),"
            " min_x=?, min_y=?, max_x=?, max_y=? WHERE table_name = ?",
            (*map(float, bounds), table),
        )
    else:
        con.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
            " WHERE table_name = ?",
            (table,),
        )


def _header(srs_id: int, empty: bool) -> bytes:
    # magic "GP", version 0, flags: bit0 little-endian, envelope none (bits 1-3 = 0), bit 4 empty
    flags = 0x01 | (0x10 if empty else 0)
    return b"GP" + bytes((0, flags)) + struct.pack("<i", srs_id)


def encode(geoms: Iterable[shapely.Geometry | None], srs_id: int = 4326) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage geometry blobs (no envelope)."""
    arr = np.asarray(list(geoms), dtype=object)
    out: list[bytes | None] = [None] * len(arr)
    present = ~shapely.is_missing(arr)
    wkb = shapely.to_wkb(arr[present], byte_order=1, flavor="iso")
    empty = shapely.is_empty(arr[present])
    headers = (_header(srs_id, False), _header(srs_id, True))
    for i, blob, is_empty in zip(np.flatnonzero(present), wkb, empty, strict=True):
        out[i] = headers[int(is_empty)] + blob
    return out


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def decode(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Decode GeoPackage geometry blobs (any envelope) to shapely geometries."""
    wkb: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkb.append(None)
            continue
        if blob[:2] != b"GP":
            raise ValueError("not a GeoPackage geometry blob")
        envelope = (blob[3] >> 1) & 0x07
        wkb.append(bytes(blob[8 + _ENVELOPE_BYTES[envelope] :]))
    geoms: np.ndarray = shapely.from_wkb(np.asarray(wkb, dtype=object))
    return geoms
