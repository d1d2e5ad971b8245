"""SQLite plumbing of the GeoPackage store: values to bind, errors in German, ids read back.

- :func:`records`: frame rows as plain Python tuples, refusing a missing value written as text;
- :func:`date_text`, :func:`datetime_text`: dates and times as the ISO text the store keeps;
- :func:`store_error`: an SQLite error as the :class:`~geo.errors.StoreError` naming the cause;
- :func:`rollback`: roll back what SQLite has not rolled back itself;
- :func:`insert_ids`: insert rows and read back the ids the database gave them.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import StoreError

#: Texts that are a missing value written out (``str(nan)``, ``str(None)``, ...): never stored.
MISSING_TEXTS = frozenset({"nan", "NaN", "None", "NaT", "<NA>"})


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def records(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values (what sqlite3 binds), missing values as None.

    Converted column by column: numpy scalars become Python scalars through
    ``astype(object)``, timestamps become ISO text.

    Raises
    ------
    StoreError
        A text value is a missing value written out ('nan', 'None', 'NaT', ...):
        somewhere before the store a missing value was turned into text.
    """
    data = frame.reindex(columns=columns)
    converted = {}
    for col in columns:
        values = data[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
        values = values.astype(object).where(values.notna(), None)
        if not (pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col])):
            bad = values.isin(MISSING_TEXTS)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
                raise StoreError(
                    f"Spalte {col}, Zeile {row} der Änderung: der Text '{values[bad].iloc[0]}' "
                    "ist ein fehlender Wert, der als Text geschrieben würde. Nichts wurde geschrieben; "
                    "fehlende Werte leer lassen (Programmfehler bitte melden)."
                )
        converted[col] = values
    return list(zip(*(converted[c].tolist() for c in columns), strict=True))


def _stamps(values: pd.Series, *, column: str) -> pd.Series:
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"Spalte {column}: Werte sind kein Datum ({exc}). Nichts wurde geschrieben."
        ) from exc


def date_text(values: pd.Series, *, column: str) -> pd.Series:
    """Dates as ``JJJJ-MM-TT`` text; missing dates stay missing (``None``), never 'NaT'."""
    stamps = _stamps(values, column=column)
    return stamps.dt.strftime("%Y-%m-%d").where(stamps.notna(), None)


def datetime_text(values: pd.Series, *, column: str) -> pd.Series:
    """Times as ISO text in UTC (``...Z``); missing ones stay missing (``None``)."""
    stamps = _stamps(values, column=column)
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(stamps.notna(), None)


def rollback(con: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already done so.

    On some errors (a full disk: ``SQLITE_FULL``, ``SQLITE_IOERR``, ...) SQLite aborts the
    transaction itself; a ``ROLLBACK`` then fails with "cannot rollback - no transaction is
    active" and would hide the real cause. A failing ``ROLLBACK`` is not reported either:
    closing the connection rolls back whatever is left, and the error that made us roll
    back is the one the user needs to see.
    """
    if con.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            con.execute("ROLLBACK")


def store_error(path: Path, exc: sqlite3.Error, *, writing: bool) -> StoreError:
    """The :class:`StoreError` naming the real cause of an SQLite error, in German."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    done = ", nichts geändert" if writing else ""
    if primary == sqlite3.SQLITE_FULL:
        text = (
            f"Speicherplatz voll: {path} konnte nicht geschrieben werden{done}. Platz auf dem Laufwerk "
            "schaffen (oder das Register auf ein Laufwerk mit mehr Platz kopieren) und erneut versuchen."
        )
    elif primary == sqlite3.SQLITE_READONLY:
        text = f"{path} ist schreibgeschützt{done}. Schreibrechte für Datei und Ordner prüfen."
    elif primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        text = (
            f"{path} ist gesperrt: ein anderes Programm schreibt gerade darin (z. B. QGIS im "
            f"Bearbeitungsmodus){done}. Dort speichern oder schließen und erneut versuchen."
        )
    elif primary == sqlite3.SQLITE_IOERR:
        text = f"Lese-/Schreibfehler bei {path}{done}; Laufwerk bzw. Netzlaufwerk prüfen ({exc})."
    elif primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        text = f"{path} ist beschädigt oder keine SQLite-Datei{done} ({exc}). Eine Sicherung einspielen."
    elif isinstance(exc, sqlite3.IntegrityError):
        text = f"Schreiben in {path} abgelehnt, nichts geändert: {exc}"
    elif writing:
        text = f"Schreiben in {path} fehlgeschlagen, nichts geändert: {exc}"
    else:
        text = f"{path} lässt sich nicht lesen: {exc}"
    return StoreError(text)


def insert_ids(
    con: sqlite3.Connection, table: str, id_column: str, sql: str, rows: list[tuple[Any, ...]]
) -> list[int]:
    """Insert ``rows`` with ``sql`` and return the ids the database gave them, in row order.

    The ids are read back, not predicted. The caller holds the write lock (``BEGIN
    IMMEDIATE``), so nobody else inserts meanwhile, and the tables are ``AUTOINCREMENT``:
    every new row gets an id larger than any the table ever had, in insert order. The rows
    above the largest id before the insert are therefore exactly the new ones. (Predicting
    ``MAX + 1`` is wrong once the last row was deleted: SQLite never reuses its id.)
    ``INSERT ... RETURNING`` would do for one row, but ``executemany`` discards returned rows
    and one ``execute`` per row is slow for a million observations.
    """
    before = con.execute(f"SELECT COALESCE(MAX({id_column}), 0) FROM {table}").fetchone()[0]
    con.executemany(sql, rows)
    query = f"SELECT {id_column} FROM {table} WHERE {id_column} > ? ORDER BY {id_column}"
    ids = [r[0] for r in con.execute(query, (before,))]
    if len(ids) != len(rows):  # cannot happen under the write lock; refuse rather than guess
        raise StoreError(
            f"Tabelle {table}: {len(rows)} Zeilen geschrieben, aber {len(ids)} neue Nummern gefunden; "
            "nichts geändert. Schreibt ein anderes Programm ohne Sperre in die Datei?"
        )
    return ids

