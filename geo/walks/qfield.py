"""The QField GeoPackage of an outreach walk: written for offline capture, read back as visits.

:func:`export_qfield` writes the stops, an empty visit table with value lists
and German aliases, and an info table. :func:`import_qfield` reads the
filled-in visit table back the same way :func:`geo.walks.visits.log_visit`
checks one visit: every row is checked first, nothing is written if any row is
bad (:class:`VisitImportRejected` names row, column and value), and rows
already in the register (same unit, date, outcome and note) are skipped, so
importing a file twice adds nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio

from geo import settings
from geo.dates import local_today
from geo.errors import InputError
from geo.formats import unit_address
from geo.register.model import STATUS_LABELS, STATUSES, VISIT_OUTCOME_LABELS
from geo.register.store import Store
from geo.walks.stops import _column, _visits, state_text
from geo.walks.visits import _check_rows, _text, _Visit, _visit_changes

__all__ = [
    "QFIELD_VISIT_COLUMNS",
    "VisitImport",
    "VisitImportRejected",
    "export_qfield",
    "import_qfield",
]


# -- QField GeoPackage -------------------------------------------------------------------------------

#: Columns of the ``visits`` table of the QField GeoPackage, with their German names.
QFIELD_VISIT_COLUMNS: dict[str, str] = {
    "unit_id": "Einheit",
    "visited_on": "Besucht am",
    "outcome": "Ergebnis",
    "status_new": "Neuer Status",
    "business_new": "Neuer Betrieb",
    "follow_up_on": "Nachfassen am",
    "note": "Notiz",
}

_STOP_COLUMNS: dict[str, str] = {
    "order": "Nr.",
    "unit_id": "Einheit",
    "address": "Adresse",
    "business": "Betrieb",
    "state": "Stand",
    "reason": "Grund",
    "check": "Was prüfen",
}
_CONTACT_COLUMNS: dict[str, str] = {
    "owner_name": "Eigentümer/in",
    "contact_person": "Kontaktperson",
    "contact_phone": "Telefon",
    "contact_email": "E-Mail",
}


def _stops_layer(stops: pd.DataFrame, internal: bool) -> gpd.GeoDataFrame:
    frame = stops.reset_index(drop=True)
    n = len(frame)
    order = frame["order"].astype(int) if "order" in frame.columns else pd.Series(np.arange(1, n + 1))
    records = frame.to_dict("records")
    label = _column(frame, "label") if "label" in frame.columns else [unit_address(r) for r in records]
    state = (
        _column(frame, "state")
        if "state" in frame.columns
        else [
            state_text(r.get("status"), business_name=r.get("business_name"), since=r.get("since")) for r in records
        ]
    )
    out = pd.DataFrame(
        {
            "order": order.to_numpy(dtype=np.int64),
            "unit_id": frame["unit_id"].astype(str).to_numpy(),
            "address": label,
            "business": _column(frame, "business_name"),
            "state": state,
            "reason": _column(frame, "reason"),
            "check": _column(frame, "check"),
        }
    )
    if internal:
        for col in _CONTACT_COLUMNS:
            out[col] = _column(frame, col)
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else gpd.points_from_xy(frame["lon"], frame["lat"])
    crs = frame.crs if isinstance(frame, gpd.GeoDataFrame) else settings.storage_crs
    layer = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=crs).to_crs(settings.storage_crs).to_numpy(),
                             crs=settings.storage_crs)
    return layer.sort_values("order", kind="stable").reset_index(drop=True)


def export_qfield(
    stops: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    internal: bool = False,
    walk_id: str | None = None,
    at: date | None = None,
    demo: bool = False,
) -> Path:
    """Write a GeoPackage for offline field capture with QField.

    Layers:

    ``stops`` (points, EPSG:4326)
        ``order``, ``unit_id``, ``address``, ``business``, ``state``,
        ``reason``, ``check``; with ``internal=True`` also owner and contact
        (never otherwise).
    ``visits`` (attribute table, empty)
        One row per visit to fill in: ``unit_id``, ``visited_on`` (date),
        ``outcome``, ``status_new``, ``business_new``, ``follow_up_on``
        (date), ``note``. ``unit_id``, ``outcome`` and ``status_new`` carry
        value-list constraints (GeoPackage schema extension,
        ``gpkg_data_column_constraints``): GDAL reads them as coded field
        domains and QGIS/QField offer them as a drop-down list (code stored,
        German label shown). Where an app shows a plain text field instead,
        type the code (e.g. ``nobody_there``) or the German label; both are
        accepted by :func:`import_qfield`. German column names are set as
        aliases (``gpkg_data_columns.name``).
    ``info`` (attribute table)
        ``key``/``value``: walk id, date, version, demo mark, how to fill in.

    Parameters
    ----------
    stops
        The stops in walking order (:attr:`geo.walks.plan.WalkPlan.stops`) or a
        selection (the ``frame`` of :func:`geo.walks.stops.select_stops`; then numbered as given).
    path
        The ``.gpkg`` to write (replaced atomically).
    internal
        Include owner and contact data (personal data: internal use only).
    walk_id
        The walk's id; :func:`import_qfield` writes it on the visits.
    at
        The walk's date.
    demo
        Mark the file as fictional demo data.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"{path.name}: Für QField wird eine GeoPackage-Datei (.gpkg) geschrieben.")
    if not path.parent.exists():
        raise InputError(f"Ordner {path.parent} existiert nicht.")
    layer = _stops_layer(stops, internal)
    visits = pa.table(
        {
            "unit_id": pa.array([], pa.string()),
            "visited_on": pa.array([], pa.date32()),
            "outcome": pa.array([], pa.string()),
            "status_new": pa.array([], pa.string()),
            "business_new": pa.array([], pa.string()),
            "follow_up_on": pa.array([], pa.date32()),
            "note": pa.array([], pa.string()),
        }
    )
    info = [
        ("walk_id", walk_id or ""),
        ("Stand", f"{at:%d.%m.%Y}" if at else ""),
        ("Fassung", "intern – enthält personenbezogene Daten" if internal else "ohne personenbezogene Daten"),
        (
            "Anleitung",
            "Je Besuch eine Zeile in „visits“: Einheit, Besucht am, Ergebnis; bei Statusänderung Neuer Status/"
            "Neuer Betrieb; bei „Nachfassen nötig“ das Datum. Danach im Quartiersmonitor unter „Besuche "
            "erfassen“ hochladen.",
        ),
    ]
    if demo:
        info.insert(0, ("Hinweis", settings.demo_label))
    from geo._files import atomic_output  # atomic, normal file permissions

    with atomic_output(path, prefix=".qm-qfield-") as tmp:
        pyogrio.write_dataframe(layer, tmp, layer="stops", driver="GPKG")
        pyogrio.write_arrow(visits, tmp, layer="visits", driver="GPKG")
        pyogrio.write_dataframe(pd.DataFrame(info, columns=["key", "value"]), tmp, layer="info", driver="GPKG")
        _add_value_lists(tmp, layer, internal)
    return path


_SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"


def _add_value_lists(path: Path, stops: gpd.GeoDataFrame, internal: bool) -> None:
    """Value lists and German aliases through the GeoPackage schema extension."""
    constraints: list[tuple[str, str, str]] = []
    for code, label in VISIT_OUTCOME_LABELS.items():
        constraints.append(("qm_outcome", code, label))
    for code in STATUSES:
        constraints.append(("qm_status", code, STATUS_LABELS[code]))
    for order, uid, address in zip(stops["order"], stops["unit_id"], stops["address"], strict=True):
        constraints.append(("qm_stop", str(uid), f"{int(order)}. {address}"))
    columns = [("visits", col, alias, {"outcome": "qm_outcome", "status_new": "qm_status", "unit_id": "qm_stop"}.get(col))
               for col, alias in QFIELD_VISIT_COLUMNS.items()]
    stop_aliases = _STOP_COLUMNS | (_CONTACT_COLUMNS if internal else {})
    columns += [("stops", col, alias, None) for col, alias in stop_aliases.items()]
    con = sqlite3.connect(path)
    try:
        with con:
            con.executescript(
                """
                CREATE TABLE IF NOT EXISTS gpkg_extensions (
                  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
                  definition TEXT NOT NULL, scope TEXT NOT NULL,
                  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
                CREATE TABLE IF NOT EXISTS gpkg_data_columns (
                  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
                  description TEXT, mime_type TEXT, constraint_name TEXT,
                  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
                  CONSTRAINT gdc_tn UNIQUE (table_name, name));
                CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
                  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
                  min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
                  description TEXT,
                  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
                """
            )
            con.executemany(
                "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
                [("gpkg_data_columns", _SCHEMA_EXTENSION), ("gpkg_data_column_constraints", _SCHEMA_EXTENSION)],
            )
            con.executemany(
                "INSERT INTO gpkg_data_column_constraints (constraint_name, constraint_type, value, description)"
                " VALUES (?, 'enum', ?, ?)",
                constraints,
            )
            con.executemany(
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, constraint_name)"
                " VALUES (?, ?, ?, ?, ?)",
                [(t, c, alias, alias, constraint) for t, c, alias, constraint in columns],
            )
    finally:
        con.close()


@dataclass
class VisitImport:
    """What :func:`import_qfield` read and wrote.

    Attributes
    ----------
    rows_read
        Filled rows in the visit table (empty rows are not counted).
    visits_added
        Visits written.
    observations_added
        Observations written (status or business changed).
    duplicates
        Rows skipped because the register (or the file) already has them.
    visit_ids
        Ids of the new visits.
    """

    rows_read: int = 0
    visits_added: int = 0
    observations_added: int = 0
    duplicates: int = 0
    visit_ids: list[int] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One German sentence."""
        text = (
            f"{self.rows_read} Zeilen gelesen: {self.visits_added} Besuche und "
            f"{self.observations_added} Beobachtungen übernommen"
        )
        if self.duplicates:
            text += f", {self.duplicates} schon vorhanden (übersprungen)"
        return text + "."


class VisitImportRejected(InputError):
    """A visit import was refused; nothing was written.

    Parameters
    ----------
    message
        The German summary.
    errors
        One row per problem: ``Zeile``, ``Spalte``, ``Wert``, ``Grund``.
    """

    def __init__(self, message: str, errors: pd.DataFrame) -> None:
        super().__init__(message)
        self.errors = errors


def _read_qfield(source: str | os.PathLike[str] | bytes) -> tuple[list[dict[str, Any]], dict[str, str], str]:
    """Rows of the ``visits`` table (raw values, ``row`` numbered from 1) and the ``info`` table.

    Read with :mod:`sqlite3` from a private copy: the raw text of every cell
    is kept for the error messages (GDAL would turn an unreadable date into
    an empty value), and the user's file is never touched.
    """
    name = "Upload" if isinstance(source, bytes) else Path(source).name
    with tempfile.TemporaryDirectory(prefix="qm-qfield-in-") as folder:
        copy = Path(folder) / "visits.gpkg"
        if isinstance(source, bytes):
            copy.write_bytes(source)
        else:
            if not Path(source).is_file():
                raise InputError(f"Datei nicht gefunden: {source}")
            shutil.copyfile(source, copy)
        con = sqlite3.connect(copy)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "visits" not in tables:
                raise InputError(
                    f"{name}: Tabelle „visits“ fehlt. Erwartet wird das GeoPackage einer Begehung "
                    "(Download „GeoPackage für QField“)."
                )
            columns = [r[1] for r in con.execute('PRAGMA table_info("visits")')]
            missing = [c for c in ("unit_id", "visited_on", "outcome") if c not in columns]
            if missing:
                raise InputError(f"{name}: In der Tabelle „visits“ fehlen Spalten: {', '.join(missing)}.")
            order = "fid" if "fid" in columns else "rowid"
            cursor = con.execute(f'SELECT * FROM "visits" ORDER BY {order}')
            names = [d[0] for d in cursor.description]
            records = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
            info: dict[str, str] = {}
            if "info" in tables:
                info = {str(k): str(v) for k, v in con.execute('SELECT key, value FROM "info"') if k is not None}
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{name} ist keine lesbare GeoPackage-Datei: {exc}") from exc
        finally:
            con.close()
    rows = []
    for i, record in enumerate(records, start=1):
        values = {c: record.get(c) for c in QFIELD_VISIT_COLUMNS}
        if all(_text(v) is None for v in values.values()):
            continue  # an empty row left by the app
        rows.append({"row": i, **values})
    return rows, info, name


def import_qfield(
    store: Store,
    gpkg_path: str | os.PathLike[str] | bytes,
    *,
    walk_id: str | None = None,
    recorded_by: str | None = None,
    today: date | None = None,
) -> VisitImport:
    """Read the filled-in ``visits`` table of a QField GeoPackage into the register.

    Every row is validated as in :func:`geo.walks.visits.log_visit`; if any row is bad,
    nothing is written and :class:`VisitImportRejected` names each problem
    with row, column and value. Rows the register already holds (same unit,
    date, outcome and note) and repeats within the file are skipped, so a
    second import of the same file adds nothing. Visits and observations are
    written in one transaction.

    Parameters
    ----------
    store
        The register store.
    gpkg_path
        The GeoPackage written by :func:`export_qfield` and filled in, or its
        bytes (an upload).
    walk_id
        The walk's id (default: from the file's ``info`` table).
    recorded_by
        Who records (internal).
    today
        The current day (default: the real today).

    Returns
    -------
    VisitImport
        Counts of what was read and written.

    Raises
    ------
    VisitImportRejected
        Any row is bad; nothing was written.
    InputError
        The file is no GeoPackage with a visit table.
    """
    today = today or local_today()
    rows, info, name = _read_qfield(gpkg_path)
    register = store.read()
    clean, errors = _check_rows(register, rows, today=today)
    if errors:
        table = pd.DataFrame(errors, columns=["Zeile", "Spalte", "Wert", "Grund"])
        shown = "; ".join(
            f"Zeile {e['Zeile']}, Spalte „{e['Spalte']}“, Wert „{e['Wert']}“: {e['Grund']}" for e in errors[:5]
        )
        more = f" (und {len(errors) - 5} weitere)" if len(errors) > 5 else ""
        raise VisitImportRejected(
            f"Import von {name} abgelehnt, nichts geschrieben – {len(errors)} Fehler: {shown}{more}", table
        )
    existing = _visits(register)
    seen = {
        (str(u), f"{pd.Timestamp(d):%Y-%m-%d}", str(o), _text(n) or "")
        for u, d, o, n in zip(existing["unit_id"], existing["visited_on"], existing["outcome"], existing["note"], strict=True)
    }
    fresh: list[_Visit] = []
    for visit in clean:
        if visit.key in seen:
            continue
        seen.add(visit.key)
        fresh.append(visit)
    report = VisitImport(rows_read=len(rows), duplicates=len(clean) - len(fresh))
    if not fresh:
        return report
    result = store.write(
        _visit_changes(register, fresh, walk_id=walk_id or info.get("walk_id") or None, recorded_by=recorded_by)
    )
    report.visits_added = len(result.visit_ids)
    report.observations_added = result.observations_added
    report.visit_ids = result.visit_ids
    return report
