"""Typed parsing of the fields of an import (stage 3): text values to typed columns.

:func:`parse_rows` reads every mapped field of a :class:`MappedTable` into one
typed column of :attr:`ParsedRows.frame`: unit number, address (split, tidied
and keyed), coordinates (EPSG:4326 and metres), business and sector with
their comparison keys, status, date, floor area, the vocabularies (position,
confidence, use class, new settlement) and the free texts. A value that
cannot be read is reported at its row and column (never guessed) and left
missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer

from geo import settings
from geo.dates import IMPORT_DATE_HELP, german_date, parse_dates
from geo.register.imports import columns as cols
from geo.register.imports._addresses import address_parts
from geo.register.imports._sector_keywords import use_class_of_sectors
from geo.register.imports._status_words import lookup_status, status_help
from geo.register.imports._values import normalise_word, parse_area, parse_number
from geo.register.imports.columns import MappedTable
from geo.register.imports.report import Issues, count
from geo.text import column_key, map_unique, text_key

_LON_RANGE = (settings.leipzig_bbox[0], settings.leipzig_bbox[2])
_LAT_RANGE = (settings.leipzig_bbox[1], settings.leipzig_bbox[3])

#: Free-text fields taken as they are (cleaned).
_TEXT_FIELDS = (
    "address_note",
    "source",
    "note",
    "owner_name",
    "contact_person",
    "contact_phone",
    "contact_email",
)


@lru_cache(maxsize=4)
def transformer(src: str, dst: str) -> Transformer:
    """A cached lon/lat-ordered transformer from ``src`` to ``dst``."""
    return Transformer.from_crs(src, dst, always_xy=True)


@dataclass(frozen=True)
class ParsedRows:
    """The rows of an import as typed values.

    Attributes
    ----------
    frame
        One row per table row (same positions). Columns: ``_row``, ``uid``
        (unit number), ``street``, ``housenumber``, ``postcode``, ``addr_key``
        (``""`` without a street), ``lon``/``lat`` (EPSG:4326) and
        ``mx``/``my`` (metres, :data:`geo.settings.metric_crs`), NaN where
        missing or invalid; ``business_name``, ``biz_key``, ``sector``,
        ``sector_key``, ``status`` (as given, NaN when missing),
        ``status_final`` (the status given, else ``occupied`` with a business
        name and ``unknown`` without), ``date`` (the date given, else the
        default), ``floor_area_m2``, ``position``, ``confidence``,
        ``use_class``, ``new_settlement`` and the free texts
        (``address_note``, ``source``, ``note``, ``owner_name``,
        ``contact_person``, ``contact_phone``, ``contact_email``).
    status_given
        Bool by row: the row has a status value.
    date_defaulted
        Bool by row: the row has no date; the default (``as_of`` or today) was taken.
    coord_columns
        The file has a complete pair of coordinate columns.
    notes
        German notes (address split, "Leerstand" column, month-only dates).
    issues
        Values that cannot be read.
    use_class_from_sector
        True when the list has no use-class column and ``use_class`` comes from
        the sector words (:mod:`._sector_keywords`): then it only fills units
        without a use class and never changes a stored one.
    """

    frame: pd.DataFrame
    status_given: pd.Series
    date_defaulted: pd.Series
    coord_columns: bool
    notes: tuple[str, ...]
    issues: Issues
    use_class_from_sector: bool = False


def parse_rows(mapped: MappedTable, *, as_of: date | None, today: date) -> ParsedRows:
    """Parse every mapped field of ``mapped`` (stage 3 of an import).

    Parameters
    ----------
    mapped
        The table with its columns assigned to fields.
    as_of
        Date for rows without a date (None: ``today``).
    today
        The current date (default date, future-date check, two-digit years).
    """
    w = pd.DataFrame({"_row": mapped.rows.to_numpy()})
    text_na = pd.Series(np.nan, index=w.index, dtype="str")
    issues = Issues()
    notes: list[str] = []

    # unit id
    uid = mapped.column("unit_id")
    w["uid"] = uid.astype("str") if uid is not None else text_na

    parts, note = _parse_address(mapped, w.index)
    for col in ("street", "housenumber", "postcode", "addr_key"):
        w[col] = parts[col]
    notes.extend([note] if note else [])
    lon, lat, coord_columns, coord_issues = _parse_coordinates(mapped, w.index)
    issues += coord_issues
    w["lon"] = lon.to_numpy()
    w["lat"] = lat.to_numpy()
    tx = transformer(settings.storage_crs, settings.metric_crs)
    mx, my = tx.transform(w["lon"].to_numpy(), w["lat"].to_numpy())
    w["mx"] = np.where(w["lon"].notna(), mx, np.nan)
    w["my"] = np.where(w["lat"].notna(), my, np.nan)

    # business, sector
    business = mapped.column("business_name")
    w["business_name"] = business.astype("str") if business is not None else text_na
    w["biz_key"] = text_key(w["business_name"])
    sector = mapped.column("sector")
    if sector is not None:
        sector = sector.astype("str")
        letter = sector.str.fullmatch(r"[A-Ua-u]").fillna(False).astype(bool)
        sector = sector.where(~letter, sector.str.upper())
        w["sector"] = sector
    else:
        w["sector"] = text_na
    w["sector_key"] = text_key(w["sector"])

    status, status_given, note, status_issues = _parse_status(mapped, w.index)
    w["status"] = status
    notes.extend([note] if note else [])
    issues += status_issues
    dates, date_defaulted, note, date_issues = _parse_dates(mapped, w.index, as_of=as_of, today=today)
    w["date"] = dates
    notes.extend([note] if note else [])
    issues += date_issues

    # floor area: optional, so an unreadable area is a warning and the row keeps its status
    area = mapped.column("floor_area_m2")
    if area is not None:
        parsed = parse_area(area)
        num, high = parsed["low"], parsed["high"]
        keep = "; die Fläche bleibt leer, die Zeile wird übernommen"
        issues = _bad(
            issues,
            mapped,
            area.notna() & num.isna(),
            "floor_area_m2",
            "Fläche ist keine Zahl. Bitte Quadratmeter als Zahl angeben, z. B. 85, 85,5 m², ca. 80 qm "
            "oder 80–100 m²" + keep,
            severity="warning",
        )
        issues = _bad(
            issues,
            mapped,
            num < 0,
            "floor_area_m2",
            "Fläche ist negativ. Bitte eine Fläche ab 0 m² angeben" + keep,
            severity="warning",
        )
        span = num.notna() & high.notna() & (num >= 0)
        issues = _bad(
            issues,
            mapped,
            span,
            "floor_area_m2",
            "Fläche als Spanne angegeben: die untere Grenze "
            + num.map(lambda v: f"{v:g}".replace(".", ",")).fillna("")
            + " m² wird als Fläche übernommen",
            severity="warning",
        )
        w["floor_area_m2"] = num.where(num >= 0)
    else:
        w["floor_area_m2"] = np.nan

    use_words = cols.use_class_words()
    for fld, func, reason in (
        ("position", cols.position_lookup, f"unbekannte Lage. Erlaubt: {cols.POSITION_HELP}"),
        (
            "confidence",
            lambda s: cols.lookup(s, cols.CONFIDENCE_WORDS),
            f"unbekannte Sicherheit. Erlaubt: {cols.CONFIDENCE_HELP}",
        ),
        (
            "use_class",
            lambda s: cols.lookup(s, use_words),
            f"unbekannte Nutzungsart. Erlaubt: {cols.USE_CLASS_HELP}",
        ),
    ):
        values = mapped.column(fld)
        if values is None:
            w[fld] = text_na.copy()
            continue
        mapped_values = func(values.astype("str"))
        # the position is a unit attribute of its own: unknown, it is left empty with a warning
        severity = "warning" if fld == "position" else "error"
        if severity == "warning":
            reason += "; die Lage bleibt leer, die Zeile wird übernommen"
        issues = _bad(issues, mapped, values.notna() & mapped_values.isna(), fld, reason, severity=severity)
        w[fld] = mapped_values.astype("str")

    # a list without a use-class column: the use class from the sector words (data/sector_keywords.csv)
    use_from_sector = mapped.column("use_class") is None and mapped.column("sector") is not None
    if use_from_sector:
        w["use_class"], note = use_class_of_sectors(w["sector"], use_words=use_words)
        notes.extend([note] if note else [])

    # new settlement
    flag = mapped.column("new_settlement")
    if flag is not None:
        words_ns = map_unique(flag, normalise_word)
        yes = words_ns.isin(cols.YES_WORDS)
        no = words_ns.isin(cols.NO_WORDS)
        issues = _bad(
            issues,
            mapped,
            flag.notna() & ~yes & ~no,
            "new_settlement",
            f"unbekannter Wert für Neuansiedlung. Erlaubt: {cols.YES_NO_HELP}",
        )
        w["new_settlement"] = yes.to_numpy()
    else:
        w["new_settlement"] = False

    for fld in _TEXT_FIELDS:
        values = mapped.column(fld)
        w[fld] = values.astype("str") if values is not None else text_na

    default = pd.Series(np.where(w["biz_key"] != "", "occupied", "unknown"), index=w.index, dtype="str")
    w["status_final"] = w["status"].where(w["status"].notna(), default)
    return ParsedRows(
        frame=w,
        status_given=status_given,
        date_defaulted=date_defaulted,
        coord_columns=coord_columns,
        notes=tuple(notes),
        issues=issues,
        use_class_from_sector=use_from_sector,
    )


def _bad(
    issues: Issues, mapped: MappedTable, mask: pd.Series, fld: str, reason: Any, *, severity: str = "error"
) -> Issues:
    """``issues`` plus one issue per row where ``mask`` holds, with the field's value as in the file."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return issues
    pos = np.flatnonzero(mask.to_numpy())
    values = mapped.raw_text(fld).iloc[pos]
    if isinstance(reason, pd.Series):
        reason = reason.iloc[pos]
    return issues.add(pos, column=mapped.mapping[fld], value=values, reason=reason, severity=severity)


# -- addresses ---------------------------------------------------------------------


def _parse_address(mapped: MappedTable, index: pd.Index) -> tuple[pd.DataFrame, str | None]:
    """Street, house number, postcode and address key by row; a note when an address column was split."""
    fields = [f for f in ("street", "housenumber", "postcode", "address") if f in mapped.mapping]
    raw = pd.DataFrame({f: mapped.frame[mapped.mapping[f]].astype("str") for f in fields}, index=index)
    # work on the distinct address combinations only, then spread back
    if fields:
        codes = raw.groupby(fields, dropna=False, sort=False).ngroup().to_numpy()
        _, first = np.unique(codes, return_index=True)
        distinct = raw.iloc[first].reset_index(drop=True)
    else:
        codes = np.zeros(len(index), dtype="int64")
        distinct = pd.DataFrame(index=range(1))
    parts = address_parts(distinct).iloc[codes].reset_index(drop=True)
    parts.index = index
    note = None
    if "address" in mapped.mapping:
        note = f"Spalte '{mapped.mapping['address']}' in Straße, Hausnummer und PLZ zerlegt"
        no_number = int(parts["split_without_number"].sum())
        if no_number:
            note += f"; {count(no_number, 'Adresse', 'Adressen')} ohne Hausnummer"
        note += "."
    return parts, note


# -- coordinates -------------------------------------------------------------------


def _parse_coordinates(mapped: MappedTable, index: pd.Index) -> tuple[pd.Series, pd.Series, bool, Issues]:
    """lon/lat (EPSG:4326) by row from lon/lat or x/y columns (lon/lat first); whether any pair exists."""
    lon = pd.Series(np.nan, index=index)
    lat = pd.Series(np.nan, index=index)
    coord_columns = False
    issues = Issues()
    if "lon" in mapped.mapping and "lat" in mapped.mapping:
        coord_columns = True
        lon, lat, found = _parse_pair(mapped, "lon", "lat")
        issues += found
    if "x" in mapped.mapping and "y" in mapped.mapping:
        coord_columns = True
        x_lon, x_lat, found = _parse_pair(mapped, "x", "y")
        issues += found
        use = lon.isna() & x_lon.notna()
        lon = lon.where(~use, x_lon)
        lat = lat.where(~use, x_lat)
    return lon, lat, coord_columns, issues


def _parse_pair(mapped: MappedTable, fa: str, fb: str) -> tuple[pd.Series, pd.Series, Issues]:
    """Parse one coordinate pair; returns lon/lat in EPSG:4326, NaN where invalid, and the issues."""
    ca, cb = mapped.mapping[fa], mapped.mapping[fb]
    ra, rb = mapped.frame[ca], mapped.frame[cb]
    a = parse_number(ra)
    b = parse_number(rb)
    ta, tb = mapped.raw_text(fa), mapped.raw_text(fb)
    column = f"{ca}/{cb}"
    value = ta.fillna("") + "; " + tb.fillna("")
    given_a, given_b = ra.notna(), rb.notna()
    issues: list[tuple[pd.Series, str]] = []
    partial = given_a ^ given_b
    issues.append((partial, "unvollständige Koordinaten: nur ein Wert angegeben. Bitte beide ergänzen"))
    not_num = given_a & given_b & (a.isna() | b.isna())
    issues.append((not_num, "Koordinate ist keine Zahl. Bitte Dezimalzahlen angeben, z. B. 12,3745"))
    ok = a.notna() & b.notna()
    if fa == "lon":
        lon, lat = a, b
        in_lon = lon.between(*_LON_RANGE)
        in_lat = lat.between(*_LAT_RANGE)
        swapped = ok & ~(in_lon & in_lat) & lon.between(*_LAT_RANGE) & lat.between(*_LON_RANGE)
        metric = ok & ~(in_lon & in_lat) & (lon.abs() > 1000) & (lat.abs() > 1000)
        issues.append(
            (
                swapped,
                "Längen- und Breitengrad sehen vertauscht aus (Länge ≈ 51, Breite ≈ 12). "
                "Bitte die beiden Spalten tauschen",
            )
        )
        other = metric
        issues.append(
            (
                metric,
                "die Werte sehen wie Meter-Koordinaten (EPSG:25833) aus, nicht wie Längen-/"
                "Breitengrad. Bitte die Spalten 'x' und 'y' (Rechtswert/Hochwert) nennen",
            )
        )
    else:
        tx = transformer(settings.metric_crs, settings.storage_crs)
        xs, ys = tx.transform(a.fillna(0).to_numpy(), b.fillna(0).to_numpy())
        lon = pd.Series(np.where(ok, xs, np.nan), index=a.index)
        lat = pd.Series(np.where(ok, ys, np.nan), index=a.index)
        in_lon = lon.between(*_LON_RANGE)
        in_lat = lat.between(*_LAT_RANGE)
        swapped = ok & ~(in_lon & in_lat) & a.between(5.0e6, 6.5e6) & b.between(1.0e5, 9.0e5)
        degrees = ok & ~(in_lon & in_lat) & (a.abs() <= 180) & (b.abs() <= 90)
        issues.append(
            (
                swapped,
                "Rechts- und Hochwert sehen vertauscht aus (x ≈ 5.700.000, y ≈ 320.000). "
                "Bitte die beiden Spalten tauschen",
            )
        )
        other = degrees
        issues.append(
            (
                degrees,
                "die Werte sehen wie Längen-/Breitengrad aus, nicht wie Meter in EPSG:25833. "
                "Bitte die Spalten 'lon' und 'lat' nennen",
            )
        )
    inside = in_lon & in_lat
    explained = swapped | other
    if fa == "lon":
        where = (
            f"Länge {_LON_RANGE[0]:.2f} bis {_LON_RANGE[1]:.2f}, "
            f"Breite {_LAT_RANGE[0]:.2f} bis "
            f"{_LAT_RANGE[1]:.2f}".replace(".", ",")
        )
    else:
        where = "x/y in Metern, EPSG:25833 (ETRS89/UTM 33N)"
    issues.append((ok & ~inside & ~explained, f"Ort liegt außerhalb Leipzigs (erwartet: {where})"))
    bad = pd.Series(False, index=a.index)
    found = Issues()
    for mask, reason in issues:
        mask = mask.fillna(False).astype(bool) & ~bad
        if mask.any():
            pos = np.flatnonzero(mask.to_numpy())
            found = found.add(pos, column=column, value=value.iloc[pos], reason=reason)
            bad |= mask
    good = ok & inside
    return lon.where(good), lat.where(good), found


# -- status and dates --------------------------------------------------------------


def _parse_status(mapped: MappedTable, index: pd.Index) -> tuple[pd.Series, pd.Series, str | None, Issues]:
    """Status by row (NaN where missing or unknown), whether one was given, a note and the issues.

    A column named ``Leerstand`` also takes yes/no words (yes: vacant, no: occupied).
    """
    status = mapped.column("status")
    if status is None:
        return pd.Series(np.nan, index=index, dtype="str"), pd.Series(False, index=index), None, Issues()
    status = status.astype("str")
    col = mapped.mapping["status"]
    values = lookup_status(status)
    help_text = status_help()
    note = None
    if column_key(col) == "leerstand":
        words = map_unique(status, normalise_word)
        values = values.where(~words.isin(cols.YES_WORDS), "vacant")
        values = values.where(~words.isin(cols.NO_WORDS), "occupied")
        note = f"Spalte '{col}' als Leerstand gelesen: ja/x/1 → leer, nein/0 → genutzt."
        reason = f"unbekannter Wert für Leerstand. Erlaubt: {cols.YES_NO_HELP} oder ein Status: {help_text}"
    else:
        reason = f"unbekannter Status. Erlaubt: {help_text}"
    issues = _bad(Issues(), mapped, status.notna() & values.isna(), "status", reason)
    return values.astype("str"), status.notna(), note, issues


def _parse_dates(
    mapped: MappedTable, index: pd.Index, *, as_of: date | None, today: date
) -> tuple[pd.Series, pd.Series, str | None, Issues]:
    """Date by row (the default where none is given), whether defaulted, a note and the issues.

    Unreadable dates, dates in the future and dates before
    :data:`geo.settings.earliest_date` are errors.
    """
    raw = mapped.column("observed_on")
    default = pd.Timestamp(as_of or today)
    if raw is None:
        return (
            pd.Series(default, index=index).astype("datetime64[us]"),
            pd.Series(True, index=index),
            None,
            Issues(),
        )
    raw = raw.astype("str")
    dates, month_only = parse_dates(raw, today=today)
    issues = _bad(
        Issues(),
        mapped,
        raw.notna() & dates.isna(),
        "observed_on",
        f"Datum nicht lesbar. Erlaubt: {IMPORT_DATE_HELP}",
    )
    issues = _bad(
        issues,
        mapped,
        dates > pd.Timestamp(today),
        "observed_on",
        f"Datum liegt in der Zukunft (heute ist der {german_date(today)}). Bitte prüfen",
    )
    earliest = settings.earliest_date
    issues = _bad(
        issues,
        mapped,
        dates < pd.Timestamp(earliest),
        "observed_on",
        f"Datum vor dem {german_date(earliest)} ist nicht plausibel. Erlaubt: {german_date(earliest)} "
        f"bis heute ({german_date(today)}); die untere Grenze ist einstellbar (Einstellung "
        "settings.earliest_date, Umgebungsvariable QM_EARLIEST_DATE). Bitte das Datum prüfen",
    )
    note = None
    if month_only.any():
        note = (
            f"{count(int(month_only.sum()), 'Datumsangabe', 'Datumsangaben')} nur mit Monat (MM/JJJJ): als "
            "Monatserster gelesen."
        )
    defaulted = raw.isna()
    return dates.where(~defaulted, default).astype("datetime64[us]"), defaulted, note, issues
