"""What an import found: :class:`RowIssue`, :class:`ImportReport` and the issues of the stages.

Every stage of :func:`geo.register.imports.plan_import` reports the problems of
its rows as :class:`Issues` (frames of row positions, vectorised); the pipeline
turns them into the :class:`RowIssue` list of the :class:`ImportReport` at the
end. The German wording helpers shared by the stages (:func:`count`,
:func:`rows_text`) live here too; numbers and dates are formatted by
:mod:`geo.formats` and :mod:`geo.dates`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from geo.formats import display_text, fmt_number, is_missing

Severity = Literal["error", "warning"]


@dataclass
class RowIssue:
    """One problem found in one row (or in the whole file when ``row`` is None).

    Attributes
    ----------
    row
        Row number as the user sees it (spreadsheet row; feature number for
        vector files); None for problems of the whole file.
    column
        Column name as in the file, if the problem belongs to one.
    value
        The offending value as text.
    reason
        German explanation, including what is allowed.
    severity
        ``"error"`` (the row is not imported) or ``"warning"``.
    """

    row: int | None
    column: str | None
    value: str | None
    reason: str
    severity: Literal["error", "warning"] = "error"

    def to_text(self) -> str:
        """One German line: ``Zeile 7, Spalte 'Status', Wert 'leerr': ...``."""
        parts = [f"Zeile {self.row}" if self.row is not None else "Datei"]
        if self.column is not None:
            parts.append(f"Spalte '{self.column}'")
        if self.value is not None:
            parts.append(f"Wert '{self.value}'")
        return ", ".join(parts) + f": {self.reason}"


class FormulaIssue(RowIssue):
    """A spreadsheet formula without a stored result (a warning unless the field is needed)."""


@dataclass(frozen=True)
class ReviewItem:
    """A new unit placed from its address, not exactly: to check on the map (the import's review list).

    Attributes
    ----------
    row
        First row of the unit in the file (as the user sees it).
    rows
        Every row of the unit.
    address
        The address asked (``Eisenbahnstraße 31a, 04315``).
    unit_id
        The new unit's id once the import is written (None when nothing is imported).
    lon, lat
        The point given (EPSG:4326).
    method, quality
        How it was found and how well (codes of :mod:`geo.places.geocoding`; German in
        ``quality_label``).
    matched
        The address found in the address data or by Nominatim.
    uncertainty_m
        Radius in metres the point stands for (None when unknown).
    reason
        German explanation.
    """

    row: int
    rows: tuple[int, ...]
    address: str
    unit_id: str | None
    lon: float
    lat: float
    method: str
    quality: str
    quality_label: str
    matched: str | None
    uncertainty_m: float | None
    reason: str | None

    def to_text(self) -> str:
        """One German line for the report."""
        where = f" -> {self.matched}" if self.matched else ""
        unit = f" (Einheit {self.unit_id})" if self.unit_id else ""
        reach = f", bis {fmt_number(self.uncertainty_m)} m ungenau" if self.uncertainty_m else ""
        why = f": {self.reason}" if self.reason else ""
        return f"Zeile {self.row}{unit}, '{self.address}'{where} [{self.quality_label}{reach}]{why}"

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable data."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


#: German column names of :meth:`ImportReport.review_frame`.
REVIEW_COLUMNS: dict[str, str] = {
    "row": "Zeile",
    "unit_id": "Einheit",
    "address": "Adresse",
    "matched": "gefunden",
    "quality_label": "Qualität",
    "uncertainty_m": "Ungenauigkeit (m)",
    "method": "Verfahren",
    "lon": "lon",
    "lat": "lat",
    "reason": "Grund",
}


@dataclass
class ImportReport:
    """What an import found and what it would do.

    Attributes
    ----------
    file
        The imported file as given.
    mode
        ``"reject"`` or ``"skip"``.
    rows_read
        Data rows in the file (blank rows not counted).
    issues
        Errors and warnings, ordered by row.
    notes
        German notes on the rules applied (defaults, ignored columns, ...).
    units_added
        New units in the plan.
    units_updated
        Stored units whose attributes the plan changes.
    observations_added
        Observations in the plan.
    unchanged
        Rows that repeat the unit's known state and add no observation.
    rows_rejected
        Rows with at least one error.
    review
        New units placed from their address but not exactly (geocoding): to check on the
        map before relying on them (:meth:`review_frame`).
    """

    file: str
    mode: str
    rows_read: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    units_added: int = 0
    units_updated: int = 0
    observations_added: int = 0
    unchanged: int = 0
    rows_rejected: int = 0
    review: list[ReviewItem] = field(default_factory=list)

    @property
    def errors(self) -> list[RowIssue]:
        """The issues of severity ``"error"``."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        """The issues of severity ``"warning"``."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """Issues as a table with German column names.

        Returns
        -------
        pandas.DataFrame
            Columns ``Zeile`` (nullable integer), ``Spalte``, ``Wert``,
            ``Grund`` and ``Art`` (``Fehler`` or ``Warnung``).
        """
        frame = pd.DataFrame(
            {
                "Zeile": pd.array([i.row for i in self.issues], dtype="Int64"),
                # a problem of the whole file has no column or value: empty, never "None"
                "Spalte": pd.Series([display_text(i.column) for i in self.issues], dtype=object),
                "Wert": pd.Series([display_text(i.value) for i in self.issues], dtype=object),
                "Grund": pd.Series([i.reason for i in self.issues], dtype=object),
                "Art": pd.Series(
                    ["Fehler" if i.severity == "error" else "Warnung" for i in self.issues],
                    dtype=object,
                ),
            }
        )
        return frame

    def review_frame(self) -> pd.DataFrame:
        """The review list (:attr:`review`) as a table with German column names (:data:`REVIEW_COLUMNS`)."""
        frame = pd.DataFrame(
            {k: pd.Series([getattr(i, k) for i in self.review], dtype=object) for k in REVIEW_COLUMNS}
        )
        frame["row"] = pd.array([i.row for i in self.review], dtype="Int64")
        for col in ("lon", "lat", "uncertainty_m"):
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        return frame.rename(columns=REVIEW_COLUMNS)

    def to_text(self) -> str:
        """The report as German text, one line per issue."""
        mode = "alles oder nichts" if self.mode == "reject" else "fehlerhafte Zeilen überspringen"
        lines = [
            f"Import '{self.file}' (Modus '{self.mode}': {mode})",
            f"Gelesen: {self.rows_read} Zeilen. Neue Einheiten: {self.units_added}, "
            f"geänderte Einheiten: {self.units_updated}, neue Beobachtungen: "
            f"{self.observations_added}, unverändert: {self.unchanged}, "
            f"abgelehnte Zeilen: {self.rows_rejected}.",
        ]
        if self.notes:
            lines.append("Hinweise:")
            lines.extend(f"- {n}" for n in self.notes)
        errors, warnings = self.errors, self.warnings
        if errors:
            lines.append(f"Fehler ({len(errors)}):")
            lines.extend(i.to_text() for i in errors)
        if warnings:
            lines.append(f"Warnungen ({len(warnings)}):")
            lines.extend(i.to_text() for i in warnings)
        if self.review:
            lines.append(f"Zu prüfen: {len(self.review)} aus der Adresse verortete Einheiten, nicht genau:")
            lines.extend(i.to_text() for i in self.review)
        if not errors and not warnings:
            lines.append("Keine Fehler, keine Warnungen.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain, JSON-serialisable data."""
        return {
            "file": self.file,
            "mode": self.mode,
            "ok": self.ok,
            "rows_read": self.rows_read,
            "units_added": self.units_added,
            "units_updated": self.units_updated,
            "observations_added": self.observations_added,
            "unchanged": self.unchanged,
            "rows_rejected": self.rows_rejected,
            "notes": list(self.notes),
            "issues": [
                {
                    "row": i.row,
                    "column": i.column,
                    "value": i.value,
                    "reason": i.reason,
                    "severity": i.severity,
                }
                for i in self.issues
            ],
            "review": [i.to_dict() for i in self.review],
        }


# -- issues of the stages ----------------------------------------------------------

_ISSUE_COLUMNS = ("pos", "column", "value", "reason", "severity")


@dataclass(frozen=True)
class Issues:
    """Row issues of a stage, as frames of row positions (vectorised).

    ``pos`` is the position of the row in the table (0-based), not the row
    number the user sees; :func:`row_issues` translates. Adding returns a new
    object, so a stage's result never changes after it is returned.

    Attributes
    ----------
    frames
        One frame per batch of issues, in the order they were found (columns
        ``pos``, ``column``, ``value``, ``reason``, ``severity``). The order
        decides the order of issues of one row and severity in the report.
    """

    frames: tuple[pd.DataFrame, ...] = ()

    def add(
        self,
        positions: np.ndarray | pd.Index | list[int],
        *,
        column: str | None | list[str | None],
        value: Any,
        reason: Any,
        severity: str = "error",
    ) -> Issues:
        """These issues plus one batch (one reason or one per position)."""
        pos = np.asarray(positions, dtype="int64")
        if len(pos) == 0:
            return self
        if isinstance(value, pd.Series):
            value = value.to_numpy(dtype=object, na_value=None)
        if isinstance(reason, pd.Series):
            reason = reason.to_numpy(dtype=object)
        batch = pd.DataFrame(
            {"pos": pos, "column": column, "value": value, "reason": reason, "severity": severity}
        )
        return Issues((*self.frames, batch))

    def __add__(self, other: Issues) -> Issues:
        return Issues((*self.frames, *other.frames))

    def __bool__(self) -> bool:
        return bool(self.frames)

    def frame(self) -> pd.DataFrame:
        """All issues as one frame (see :attr:`frames`)."""
        if not self.frames:
            return pd.DataFrame(
                {
                    "pos": pd.Series(dtype="int64"),
                    "column": pd.Series(dtype=object),
                    "value": pd.Series(dtype=object),
                    "reason": pd.Series(dtype=object),
                    "severity": pd.Series(dtype=object),
                }
            )
        return pd.concat(self.frames, ignore_index=True)

    def error_mask(self, n: int) -> np.ndarray:
        """Bool array over ``n`` rows: True where a row has an error."""
        mask = np.zeros(n, dtype=bool)
        if self.frames:
            f = self.frame()
            mask[f.loc[f["severity"] == "error", "pos"].unique()] = True
        return mask

    def without_errors_at(self, positions: np.ndarray) -> Issues:
        """These issues without the errors of the rows at ``positions`` (warnings stay)."""
        drop = set(positions.tolist())
        return Issues(tuple(f[~(f["pos"].isin(drop) & (f["severity"] == "error"))] for f in self.frames))


def row_issues(issues: Issues, rows: np.ndarray) -> list[RowIssue]:
    """The issues as :class:`RowIssue`, ordered by row and severity (stable).

    Parameters
    ----------
    issues
        Issues by row position.
    rows
        Row number the user sees, by position.
    """
    frame = issues.frame()
    frame["row"] = rows[frame["pos"].to_numpy()] if len(frame) else pd.Series(dtype="int64")
    frame = frame.sort_values(["row", "severity"], kind="stable")
    out: list[RowIssue] = []
    for row, column, value, reason, severity in zip(
        frame["row"],
        frame["column"],
        frame["value"],
        frame["reason"],
        frame["severity"],
        strict=True,
    ):
        out.append(
            RowIssue(
                row=int(row),
                column=None if is_missing(column) else str(column),
                value=None if is_missing(value) else str(value),
                reason=str(reason),
                severity=severity,
            )
        )
    return out


def file_issue(reason: str, severity: Severity = "error") -> RowIssue:
    """A problem of the whole file (no row)."""
    return RowIssue(row=None, column=None, value=None, reason=reason, severity=severity)


# -- German wording ----------------------------------------------------------------


def count(n: int, one: str, many: str) -> str:
    """``1 Zeile`` or ``3 Zeilen``."""
    return f"{n} {one if n == 1 else many}"


def rows_text(rows: list[int], limit: int = 10) -> str:
    """``Zeile 5`` or ``Zeilen 5, 9`` (German); long lists are cut after ``limit``."""
    word = "Zeile" if len(rows) == 1 else "Zeilen"
    text = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        text += f" und {len(rows) - limit} weiteren"
    return f"{word} {text}"
