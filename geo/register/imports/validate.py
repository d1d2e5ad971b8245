"""Row checks of an import: texts, copies, read problems, locations, same-day disagreements.

Each check is a function over the typed stage results and returns the
:class:`~geo.register.imports.report.Issues` it found (and, where later stages
need it, which rows it set aside). :func:`geo.register.imports.plan_import`
runs them in order; a row with an error is left out of the later checks.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from geo import settings
from geo.dates import german_date
from geo.formats import fmt_number, is_missing
from geo.register.imports._table import shorten, text_problem
from geo.register.imports.columns import MappedTable
from geo.register.imports.match import MatchedRows, StoredRegister
from geo.register.imports.report import (
    FormulaIssue,
    Issues,
    RowIssue,
    file_issue,
    rows_text,
)
from geo.register.model import STATUS_LABELS
from geo.text import map_unique

#: Fields that decide which unit a row describes and what it says; a formula without a
#: stored result there is an error, not a warning.
NEEDED_FIELDS: dict[str, str] = {
    "unit_id": "ohne Einheiten-Nr. würde die Zeile einer geratenen Einheit zugeordnet",
    "street": "ohne Straße würde die Zeile einer geratenen Einheit zugeordnet",
    "housenumber": "ohne Hausnummer würde die Zeile einer geratenen Einheit zugeordnet",
    "address": "ohne Adresse würde die Zeile einer geratenen Einheit zugeordnet",
    "status": "ohne Status würde 'genutzt' oder 'unbekannt' angenommen",
    "observed_on": "ohne Datum würde der Stichtag (sonst heute) angenommen",
}


# -- texts and copies ----------------------------------------------------------------


def screen_texts(mapped: MappedTable) -> tuple[MappedTable, Issues]:
    """Reject texts of used columns that must not reach the store (see :func:`._table.text_problem`).

    Returns
    -------
    mapped : MappedTable
        The table with the offending values replaced by missing values, so no
        later stage sees them.
    issues : Issues
        One error per offending value, with its row and column.
    """
    frame = mapped.frame
    issues = Issues()
    for col in dict.fromkeys(mapped.mapping.values()):
        values = frame[col]
        if values.dtype.kind == "f":
            continue
        problems = map_unique(values.astype("str"), lambda u: u.map(text_problem))
        bad = problems.notna().to_numpy()
        if not bad.any():
            continue
        pos = np.flatnonzero(bad)
        shown = [shorten(str(v)) for v in values.iloc[pos]]
        issues = issues.add(pos, column=col, value=shown, reason=problems.iloc[pos].to_numpy(dtype=object))
        if frame is mapped.frame:
            frame = frame.copy()  # a lazy copy (copy-on-write)
        frame[col] = values.mask(pd.Series(bad, index=values.index))
    return (mapped if frame is mapped.frame else replace(mapped, frame=frame)), issues


def exact_duplicates(mapped: MappedTable) -> tuple[pd.Series, Issues]:
    """Rows that repeat an earlier row in every used column.

    Returns
    -------
    dup : pandas.Series
        Bool by row: a copy of an earlier row (imported once).
    issues : Issues
        One warning per copy, naming the first row.
    """
    used = list(dict.fromkeys(mapped.mapping.values()))
    data = mapped.frame[used]
    dup = data.duplicated(keep="first")
    issues = Issues()
    if dup.any():
        hashes = pd.util.hash_pandas_object(data, index=False)
        first_row = mapped.rows.groupby(hashes.to_numpy()).transform("first")
        pos = np.flatnonzero(dup.to_numpy())
        reasons = [
            f"exakte Kopie von Zeile {int(r)} (in allen verwendeten Spalten); nur einmal übernommen"
            for r in first_row.to_numpy()[pos]
        ]
        issues = issues.add(pos, column=None, value=None, reason=reasons, severity="warning")
    return pd.Series(dup.to_numpy(), index=mapped.frame.index), issues


def place_read_issues(
    read_issues: tuple[RowIssue, ...], mapped: MappedTable
) -> tuple[Issues, tuple[RowIssue, ...], tuple[RowIssue, ...]]:
    """The issues reading found, at their rows.

    A formula without a stored result is an error where the field decides
    the unit or the observation (number, address, status, date): without
    it the row would be matched or dated by guess.

    Returns
    -------
    rows : Issues
        Issues of rows in the table.
    file : tuple of RowIssue
        Issues of the whole file.
    unread : tuple of RowIssue
        Issues of rows that could not be read at all (not in the table).
    """
    if not read_issues:
        return Issues(), (), ()
    field_of = {col: fld for fld, col in mapped.mapping.items()}
    position = dict(zip(mapped.rows.tolist(), range(len(mapped.frame)), strict=True))
    rows: dict[str, tuple[list[int], list[str | None], list[str | None], list[str]]] = {
        "error": ([], [], [], []),
        "warning": ([], [], [], []),
    }
    file: list[RowIssue] = []
    unread: list[RowIssue] = []
    for issue in read_issues:
        severity, reason = issue.severity, issue.reason
        fld = field_of.get(issue.column) if issue.column is not None else None
        if isinstance(issue, FormulaIssue) and fld in NEEDED_FIELDS:
            severity = "error"
            reason += f"; {NEEDED_FIELDS[fld]}, daher wird die Zeile nicht übernommen"
        if issue.row is None:
            file.append(replace(issue, reason=reason, severity=severity))
        elif issue.row in position:
            target = rows[severity]
            target[0].append(position[issue.row])
            target[1].append(issue.column)
            target[2].append(issue.value)
            target[3].append(reason)
        else:
            unread.append(RowIssue(issue.row, issue.column, issue.value, reason, severity))
    issues = Issues()
    for level, (pos, columns, values, reasons) in rows.items():
        issues = issues.add(pos, column=columns, value=values, reason=reasons, severity=level)
    return issues, tuple(file), tuple(unread)


# -- units -------------------------------------------------------------------------


def unit_label(frame: pd.DataFrame, positions: np.ndarray) -> list[str]:
    """``Einheit 'A-1'`` or ``Einheit an 'Straße 12' ('Betrieb')`` for the rows at ``positions``."""
    w = frame.iloc[positions]
    labels = []
    for uid, street, hnr, business in zip(
        w["uid"], w["street"], w["housenumber"], w["business_name"], strict=True
    ):
        if isinstance(uid, str):
            labels.append(f"Einheit '{uid}'")
            continue
        address = " ".join(x for x in (street, hnr) if isinstance(x, str))
        text = f"Einheit an '{address}'"
        if isinstance(business, str):
            text += f" ('{business}')"
        labels.append(text)
    return labels


def check_same_day(matched: MatchedRows, mapped: MappedTable, alive: pd.Series) -> tuple[pd.Series, Issues]:
    """Rows that describe the same unit on the same date.

    Rows that agree (status, business and sector) are kept once, with a
    warning at the others; rows that disagree are errors.

    Returns
    -------
    obs_dup : pandas.Series
        Bool by row: repeats an earlier row of the same unit and date (adds
        no observation).
    issues : Issues
        The warnings and errors.
    """
    w = matched.frame
    obs_dup = pd.Series(False, index=w.index)
    issues = Issues()
    sub = w.loc[alive, ["ucode", "date", "_row", "status_final", "biz_key", "sector_key"]]
    if sub.empty:
        return obs_dup, issues
    grp = sub.groupby(["ucode", "date"], sort=False)
    size = grp["_row"].transform("size")
    multi = sub[size > 1]
    if multi.empty:
        return obs_dup, issues
    g2 = multi.groupby(["ucode", "date"], sort=False)
    differs = g2[["status_final", "biz_key", "sector_key"]].transform("nunique").gt(1).any(axis=1)
    conflict = multi[differs]
    dups = multi[~differs].sort_values("_row")
    if len(dups):
        first = dups.groupby(["ucode", "date"], sort=False)["_row"].transform("first")
        extra = dups[dups["_row"] != first]
        obs_dup.loc[extra.index] = True
        issues = issues.add(
            extra.index.to_numpy(),
            column=None,
            value=None,
            reason=[
                f"beschreibt dieselbe Einheit am selben Datum wie Zeile {int(r)} (gleicher "
                "Status, Betrieb und Branche); nur eine Beobachtung übernommen"
                for r in first[extra.index]
            ],
            severity="warning",
        )
    if conflict.empty:
        return obs_dup, issues
    names = {
        "status_final": ("status", "Status"),
        "biz_key": ("business_name", "Betrieb"),
        "sector_key": ("sector", "Branche"),
    }
    raw_text = {names[k][0]: mapped.raw_text(names[k][0]) for k in names if names[k][0] in mapped.mapping}
    for (_, day), group in conflict.groupby(["ucode", "date"], sort=False):
        rows = group["_row"].tolist()
        fields = [k for k in names if group[k].nunique() > 1]
        label = unit_label(w, np.array([group.index[0]]))[0]
        what = ", ".join(names[k][1] for k in fields)
        fld = names[fields[0]][0]
        col = mapped.mapping.get(fld)
        for idx, row in zip(group.index, rows, strict=True):
            others = rows_text([r for r in rows if r != row])
            if fld in raw_text:
                value = raw_text[fld].iat[idx]
            elif fld == "status":  # no status column: the default taken
                value = STATUS_LABELS.get(str(w.at[idx, "status_final"]))
            else:
                value = w.at[idx, fld]
            issues = issues.add(
                [idx],
                column=col,
                value=None if is_missing(value) else str(value),
                reason=(
                    f"Widerspruch: {label} steht am {german_date(day)} auch in {others}, "
                    f"aber mit anderem Inhalt ({what}). Bitte eine der Zeilen korrigieren"
                ),
            )
    return obs_dup, issues


# -- locations ---------------------------------------------------------------------


def check_locations(
    matched: MatchedRows, mapped: MappedTable, stored: StoredRegister, alive: pd.Series
) -> Issues:
    """Rows of one unit whose locations lie apart, and rows far from their stored unit.

    The tolerance is :data:`geo.settings.location_tolerance_m`.
    """
    w = matched.frame
    issues = Issues()
    tol = float(settings.location_tolerance_m)
    located = alive & w["mx"].notna()
    if not located.any():
        return issues
    coord_col = _coord_column(mapped)
    sub = w.loc[located, ["ucode", "_row", "mx", "my"]].sort_values("_row")
    ref = sub.groupby("ucode", sort=False)[["mx", "my"]].transform("first")
    dist = np.hypot(sub["mx"] - ref["mx"], sub["my"] - ref["my"])
    far_units = sub.loc[dist > tol, "ucode"].unique()
    if len(far_units):
        bad = sub[sub["ucode"].isin(far_units)]
        for _, group in bad.groupby("ucode", sort=False):
            # distance from the unit's first located row (exact for two rows)
            spread = float(dist[group.index].max())
            label = unit_label(w, np.array([group.index[0]]))[0]
            rows = group["_row"].tolist()
            for idx, row in zip(group.index, rows, strict=True):
                others = rows_text([r for r in rows if r != row])
                issues = issues.add(
                    [idx],
                    column=coord_col,
                    value=_coord_value(w, idx),
                    reason=(
                        f"{label} hat in {others} einen anderen Ort; die Orte liegen bis zu "
                        f"{fmt_number(spread)} m auseinander (erlaubt: {fmt_number(tol)} m). "
                        "Bitte den richtigen Ort klären"
                    ),
                )
    # against the stored location of matched units
    at_stored = w.loc[located & w["match"].notna(), ["match", "mx", "my"]]
    if at_stored.empty:
        return issues
    su_xy = stored.units.drop_duplicates("unit_id").set_index("unit_id")[["mx", "my"]]
    ref_xy = su_xy.reindex(at_stored["match"])
    dist = np.hypot(
        at_stored["mx"].to_numpy() - ref_xy["mx"].to_numpy(),
        at_stored["my"].to_numpy() - ref_xy["my"].to_numpy(),
    )
    far = dist > tol
    for idx, uid, d in zip(at_stored.index[far], at_stored["match"][far], dist[far], strict=True):
        issues = issues.add(
            [idx],
            column=coord_col,
            value=_coord_value(w, idx),
            reason=(
                f"liegt {fmt_number(d)} m vom gespeicherten Ort der Einheit '{uid}' entfernt "
                f"(erlaubt: {fmt_number(tol)} m). Bitte den Ort prüfen oder eine andere Nr. angeben"
            ),
        )
    return issues


def _coord_column(mapped: MappedTable) -> str | None:
    for a, b in (("lon", "lat"), ("x", "y")):
        if a in mapped.mapping and b in mapped.mapping:
            return f"{mapped.mapping[a]}/{mapped.mapping[b]}"
    return None


def _coord_value(frame: pd.DataFrame, idx: int) -> str:
    lon, lat = frame.at[idx, "lon"], frame.at[idx, "lat"]
    return f"{lon:.6f}; {lat:.6f}".replace(".", ",")


def check_missing_coordinates(
    matched: MatchedRows,
    alive: pd.Series,
    *,
    coord_columns: bool,
    geocoding: bool = False,
    geocode_help: str | None = None,
) -> tuple[Issues, tuple[RowIssue, ...]]:
    """New units without a location (no coordinates, and not placed by their address).

    Parameters
    ----------
    geocoding
        The import was given a geocoder (then such a row has no address either).
    geocode_help
        How to turn geocoding on, in the messages (default :data:`GEOCODE_HELP`, the command
        line's options; the app names its own choice).

    Returns
    -------
    issues : Issues
        One error per row of a new unit that no row locates.
    file : tuple of RowIssue
        A file error when the file has no coordinate columns and no row
        matches a stored unit.
    """
    w = matched.frame
    new = alive & w["is_new"]
    if not new.any():
        return Issues(), ()
    located_units = w.loc[new & w["lon"].notna(), "ucode"].unique()
    lacking = new & ~np.isin(w["ucode"].to_numpy(), located_units)
    if not lacking.any():
        return Issues(), ()
    pos = np.flatnonzero(lacking.to_numpy())
    help_text = geocode_help or GEOCODE_HELP
    if geocoding:
        reason = (
            "keine Koordinaten und keine Straße, die sich verorten ließe (die Zeile passt zu keiner "
            "vorhandenen Einheit) — bitte lon/lat oder x/y oder Straße und Hausnummer ergänzen"
        )
    else:
        reason = (
            f"keine Koordinaten (die Zeile passt zu keiner vorhandenen Einheit) — bitte lon/lat oder x/y "
            f"ergänzen oder die Adresse verorten lassen ({help_text})"
        )
    issues = Issues().add(pos, column=None, value=None, reason=reason)
    if not coord_columns and not geocoding and not (alive & w["match"].notna()).any():
        return issues, (
            file_issue(
                "Die Datei hat keine Koordinatenspalten (lon/lat oder x/y), und keine Zeile "
                "passt zu einer vorhandenen Einheit (über Nr. oder Adresse). Neue Einheiten "
                "brauchen einen Ort: bitte Spalten lon/lat (Grad) oder x/y (EPSG:25833) "
                f"ergänzen oder die Adressen verorten lassen ({help_text})."
            ),
        )
    return issues, ()


#: How to turn geocoding on (German, for messages).
GEOCODE_HELP = (
    "Geokodierung beim Import einschalten mit '--geocode offline --addresses DATEI' (OSM-Daten oder "
    "Hauskoordinaten) oder '--geocode nominatim'"
)
