"""The import pipeline: :func:`plan_import` runs the stages in order and writes the report.

Stages (each a function over the typed result of the one before, each
testable on its own):

1. :func:`.read.read` -- file to :class:`.read.RawTable` (text values, read issues);
2. :func:`.columns.map_columns` -- columns to fields (:class:`.columns.MappedTable`);
3. :func:`.validate.screen_texts`, :func:`.validate.exact_duplicates` -- texts
   that must not be stored, copied rows;
4. :func:`.parse.parse_rows` -- typed fields (:class:`.parse.ParsedRows`);
5. :func:`.match.stored_register`, :func:`.match.match_units` -- which unit each
   row describes (:class:`.match.MatchedRows`); :func:`.geocode.geocode_rows` -- new
   units without coordinates placed by their address, when a geocoder is given;
6. :func:`.validate.check_locations`, :func:`.validate.check_same_day`,
   :func:`.validate.check_missing_coordinates` -- rows that contradict each
   other or the store;
7. :func:`.plan.plan_changes` -- new units, updates, observations
   (:class:`.plan.PlannedChanges`), then the :class:`.report.ImportReport`
   and the :class:`.plan.ImportPlan`.

A row with an error is left out of every later stage.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.dates import local_today
from geo.errors import InputError
from geo.register.imports.columns import map_columns
from geo.register.imports.geocode import geocode_rows
from geo.register.imports.match import match_units, stored_register
from geo.register.imports.parse import parse_rows
from geo.register.imports.plan import ImportPlan, plan_changes
from geo.register.imports.read import read
from geo.register.imports.report import ImportReport, count, row_issues
from geo.register.imports.validate import (
    check_locations,
    check_missing_coordinates,
    check_same_day,
    exact_duplicates,
    place_read_issues,
    screen_texts,
)

if TYPE_CHECKING:
    from geo.places.geocoding import Geocoder

OnError = Literal["reject", "skip"]


def plan_import(
    path: str | Path,
    *,
    units: gpd.GeoDataFrame,
    observations: pd.DataFrame,
    as_of: date | None = None,
    on_error: OnError = "reject",
    today: date | None = None,
    source: str | None = None,
    recorded_by: str | None = None,
    geocoder: Geocoder | None = None,
    geocode_area: Any = None,
    geocode_help: str | None = None,
) -> ImportPlan:
    """Read, validate and plan the import of a list of units.

    Parameters
    ----------
    path
        File to import (see :func:`geo.register.imports.read_table`).
    units
        The store's units: :data:`geo.register.model.UNIT_COLUMNS` plus ``geometry``
        in EPSG:4326 (may be empty).
    observations
        The store's observations: :data:`geo.register.model.OBSERVATION_COLUMNS`
        (may be empty).
    as_of
        Date for rows without a date; defaults to ``today``.
    on_error
        ``"reject"``: any error rejects the whole file (the plan is empty
        and :attr:`ImportPlan.accepted` is False). ``"skip"``: rows with
        errors are left out and reported.
    today
        The current date (for defaults and the future-date check);
        defaults to :func:`datetime.date.today`.
    source
        Source of the observations when a row names none; defaults to the
        file name.
    recorded_by
        Who imports (stored with every observation).
    geocoder
        Places new units that have an address but no coordinates
        (:mod:`geo.places.geocoding`); None: such rows are rejected with a message saying how
        to turn geocoding on. Units placed not exactly are listed in
        :attr:`ImportReport.review`.
    geocode_area
        A polygon the geocoded points must lie in (default: Leipzig's extent only).
    geocode_help
        How to turn geocoding on, in the message of a row without coordinates (default: the
        command line's options, :data:`geo.register.imports.validate.GEOCODE_HELP`).

    Returns
    -------
    ImportPlan
        New units, unit updates and observations, with the report.

    Raises
    ------
    geo.errors.InputError
        If the file cannot be read or has no usable columns, or an option
        is invalid.
    geo.places.geocoding.GeocodingUnavailable
        The online geocoder cannot be reached.
    """
    if on_error not in ("reject", "skip"):
        raise InputError(
            f"Unbekannter Fehlermodus '{on_error}'. Erlaubt: 'reject' (alles oder nichts) "
            "oder 'skip' (fehlerhafte Zeilen überspringen)."
        )
    today = today or local_today()
    if as_of is not None and as_of > today:
        raise InputError(
            f"Der Stichtag {as_of:%d.%m.%Y} liegt in der Zukunft (heute: {today:%d.%m.%Y}). "
            "Bitte ein Datum bis heute angeben."
        )
    if as_of is not None and as_of < settings.earliest_date:
        raise InputError(
            f"Der Stichtag {as_of:%d.%m.%Y} liegt vor dem {settings.earliest_date:%d.%m.%Y} und ist nicht "
            f"plausibel. Erlaubt: {settings.earliest_date:%d.%m.%Y} bis heute ({today:%d.%m.%Y}); die "
            "untere Grenze ist einstellbar (Einstellung settings.earliest_date, Umgebungsvariable "
            "QM_EARLIEST_DATE)."
        )
    p = Path(path)
    table = read(p)
    mapped = map_columns(table)
    mapped, text_issues = screen_texts(mapped)
    dup, dup_issues = exact_duplicates(mapped)
    parsed = parse_rows(mapped, as_of=as_of, today=today)
    issues = text_issues + dup_issues + parsed.issues
    if dup.any():  # field errors of exact copies are reported once, at the first copy
        issues = issues.without_errors_at(dup.to_numpy().nonzero()[0])
    read_row_issues, read_file_issues, unread_issues = place_read_issues(table.issues, mapped)
    issues += read_row_issues
    n = len(mapped.frame)

    def error_free() -> pd.Series:
        return pd.Series(~issues.error_mask(n), index=mapped.frame.index)

    alive = ~dup & error_free()
    stored = stored_register(units, observations)
    matched = match_units(parsed, stored, alive)
    issues += matched.issues
    alive &= error_free()
    geocoded = geocode_rows(matched, mapped, alive, geocoder=geocoder, area=geocode_area)
    matched = geocoded.matched
    issues += geocoded.issues
    alive &= error_free()
    issues += check_locations(matched, mapped, stored, alive)
    obs_dup, same_day_issues = check_same_day(matched, mapped, alive & error_free())
    issues += same_day_issues
    alive &= error_free()
    missing_issues, missing_file_issues = check_missing_coordinates(
        matched, alive, coord_columns=parsed.coord_columns, geocoding=geocoder is not None,
        geocode_help=geocode_help,
    )
    issues += missing_issues
    good = alive & error_free()
    changes = plan_changes(
        matched,
        parsed,
        stored,
        good,
        obs_dup,
        source=source if source is not None else p.name,
        recorded_by=recorded_by,
        as_of=as_of,
        today=today,
    )

    rows = row_issues(issues, mapped.rows.to_numpy()) + list(unread_issues)
    rows.sort(key=lambda i: (i.row, i.severity))
    report = ImportReport(
        file=str(path),
        mode=on_error,
        rows_read=len(table.frame) + table.unread,
        issues=[*mapped.file_issues, *read_file_issues, *missing_file_issues, *rows],
        notes=[
            *table.notes,
            *mapped.notes,
            *parsed.notes,
            *matched.notes,
            *geocoded.notes,
            *getattr(geocoder, "notes", ()),
            *changes.notes,
        ],
        units_added=len(changes.new_units),
        units_updated=len(changes.unit_updates),
        observations_added=len(changes.observations),
        unchanged=changes.unchanged,
        rows_rejected=len({i.row for i in rows if i.severity == "error"}),
        review=[
            replace(item, unit_id=changes.new_unit_ids.get(code))
            for item, code in zip(geocoded.review, geocoded.review_units, strict=True)
        ],
    )
    plan = ImportPlan(
        report=report,
        new_units=changes.new_units,
        unit_updates=changes.unit_updates,
        observations=changes.observations,
    )
    if report.mode == "reject" and not report.ok:
        report.notes.append(
            f"Wegen {count(len(report.errors), 'Fehler', 'Fehlern')} in "
            f"{count(report.rows_rejected, 'Zeile', 'Zeilen')} wird nichts "
            f"importiert (Modus 'reject'). Mit on_error='skip' würden "
            f"{count(report.units_added, 'neue Einheit', 'neue Einheiten')} und "
            f"{count(report.observations_added, 'Beobachtung', 'Beobachtungen')} übernommen."
        )
        report.units_added = report.units_updated = 0
        report.observations_added = report.unchanged = 0
        plan.new_units = plan.new_units.iloc[0:0]
        plan.unit_updates = plan.unit_updates.iloc[0:0]
        plan.observations = plan.observations.iloc[0:0]
        report.review = [replace(item, unit_id=None) for item in report.review]
    return plan
