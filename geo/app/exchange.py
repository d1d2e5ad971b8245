"""Files in and out of the app: uploads to import, exports, and charts and maps for download.

* :func:`plan_upload`, :func:`import_upload` -- the data page's import steps
  (check first, then import; see :mod:`geo.register.imports`);
* :func:`export_bytes`, :func:`export_name` -- the register as a file
  (public unless asked for the internal export);
* :func:`figure_for`, :func:`figure_name` -- the app's charts and maps as
  matplotlib figures (:mod:`geo.outputs.figures`) for download as PNG or SVG.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from geo import settings
from geo.app.figures import plausible_start, spells_between
from geo.app.filters import Filters, describe
from geo.errors import InputError
from geo.formats import fmt_date
from geo.register.history import Register
from geo.register.model import wants_internal
from geo.register.stats import compare, events, status_at
from geo.text import file_name

# -- import and export --------------------------------------------------------------------

#: File types the import accepts.
IMPORT_SUFFIXES: tuple[str, ...] = ("csv", "xlsx", "geojson", "json", "gpkg", "zip")

EXPORT_MIME: dict[str, str] = {
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: How to turn geocoding on, as the page Daten says it (the command line names its options instead).
GEOCODE_HELP_PAGE = (
    "oben unter „Adressen ohne Koordinaten verorten“ „offline aus Adressdateien“ oder „online mit Nominatim“ "
    "wählen"
)

EXPORT_LABELS: dict[str, str] = {
    "gpkg": "GeoPackage (.gpkg, für QGIS)",
    "geojson": "GeoJSON (.geojson)",
    "csv": "CSV für Excel (.csv)",
    "xlsx": "Excel (.xlsx)",
}


def _upload_file(data: bytes, name: str, folder: str) -> Path:
    suffix = Path(name).suffix.lower()
    if suffix.lstrip(".") not in IMPORT_SUFFIXES:
        raise InputError(
            f"Dateityp '{suffix or name}' wird nicht unterstützt; erlaubt: "
            + ", ".join(f".{s}" for s in IMPORT_SUFFIXES)
        )
    path = Path(folder) / (Path(name).name or f"upload{suffix}")
    path.write_bytes(data)
    return path


@contextmanager
def _source(
    *, data: bytes | None, name: str | None, path: str | os.PathLike[str] | None
) -> Iterator[Path]:
    """The file to import: a server-side ``path``, or the upload written to a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="qm-upload-") as folder:
        if path is not None:
            source = Path(path).expanduser()
            if not source.is_file():
                raise InputError(f"Datei {source} nicht gefunden (Pfad auf dem Server/Netzlaufwerk prüfen).")
        else:
            if data is None or not name:
                raise InputError("Keine Datei gewählt.")
            source = _upload_file(data, name, folder)
        yield source


def plan_upload(
    register: Register,
    *,
    data: bytes | None = None,
    name: str | None = None,
    path: str | os.PathLike[str] | None = None,
    as_of: date | None = None,
    on_error: Literal["reject", "skip"] = "reject",
    geocoder: Any = None,
) -> Any:
    """Validate an uploaded file (``data``/``name``) or a server-side ``path``; nothing is written.

    ``geocoder`` places new units without coordinates by their address
    (:mod:`geo.places.geocoding`); without it such rows are errors saying what to choose on the page.

    Returns
    -------
    geo.register.imports.ImportPlan
        With ``report`` (rows read, rejected rows and reasons) and ``accepted``.

    Raises
    ------
    InputError
        Unsupported type, missing file or unreadable content.
    """
    from geo.register.imports import plan_import

    with _source(data=data, name=name, path=path) as source:
        plan = plan_import(
            source,
            units=register.units,
            observations=register.observations,
            as_of=as_of,
            on_error=on_error,
            geocoder=geocoder,
            geocode_help=GEOCODE_HELP_PAGE,
        )
    plan.report.file = Path(name).name if path is None and name else str(path)
    return plan


def import_upload(
    store: Any,
    *,
    data: bytes | None = None,
    name: str | None = None,
    path: str | os.PathLike[str] | None = None,
    as_of: date | None = None,
    on_error: Literal["reject", "skip"] = "reject",
    recorded_by: str | None = None,
    geocoder: Any = None,
) -> Any:
    """Import an uploaded file or a server-side ``path`` into ``store`` (see :func:`geo.register.io.import_file`)."""
    from geo.register.io import import_file

    with _source(data=data, name=name, path=path) as source:
        return import_file(
            source, store=store, as_of=as_of, on_error=on_error, recorded_by=recorded_by, geocoder=geocoder,
            geocode_help=GEOCODE_HELP_PAGE,
        )


def export_name(filters: Filters, fmt: str, *, internal: bool = False, public: bool | None = None) -> str:
    """File name of an export, e.g. ``leerstand_gruenau_2024-12-31_oeffentlich.csv`` (``…_intern.csv``)."""
    internal = wants_internal(internal, public)
    area = filters.ortsteil or filters.quarter or "alle"
    return file_name("leerstand", area, filters.date_at().isoformat(), "intern" if internal else "oeffentlich", suffix=fmt)


def export_bytes(
    register: Register, *, fmt: str, at: date, internal: bool = False, public: bool | None = None,
    headers: str = "de",
) -> bytes:
    """The units of ``register`` with their status on ``at`` as a file in ``fmt`` (see :func:`geo.register.io.export_units`).

    Public unless ``internal=True`` (``public`` is the deprecated spelling); CSV and XLSX with
    German column headers unless ``headers="en"`` (:data:`geo.register.io.GERMAN_HEADERS`).
    """
    from geo.register.io import export_units

    internal = wants_internal(internal, public)
    with tempfile.TemporaryDirectory(prefix="qm-export-") as folder:
        out = export_units(register, Path(folder) / f"export.{fmt}", fmt=fmt, at=at, internal=internal,  # type: ignore[arg-type]
                           headers=headers)  # type: ignore[arg-type]
        return out.read_bytes()


# -- figures for download ------------------------------------------------------------------

#: Charts and maps offered for download: kind -> file name stem.
FIGURE_STEMS: dict[str, str] = {
    "rate": "leerstandsquote",
    "events": "neuansiedlungen-schliessungen",
    "duration": "leerstandsdauer",
    "status_map": "karte-status",
    "change_map": "karte-vorher-nachher",
}

#: MIME type of each download format.
IMAGE_MIME: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}

_FREQ_LABELS = {"year": "je Jahr", "quarter": "je Quartal", "month": "je Monat"}


def _area_name(filters: Filters) -> str:
    return filters.ortsteil or filters.quarter or "Leipziger Osten und Grünau"


def figure_for(
    kind: str,
    register: Register,
    filters: Filters,
    *,
    start: date | None = None,
    end: date | None = None,
    freq: str = "year",
    by: str | None = None,
    bin_months: int = 6,
    before: date | None = None,
    after: date | None = None,
    settlements: bool = True,
) -> Any:
    """A chart or map of the app as a matplotlib figure in presentation quality (:mod:`geo.outputs.figures`).

    Parameters
    ----------
    kind
        One of :data:`FIGURE_STEMS`: ``rate`` (vacancy rate per ``by`` group),
        ``events`` (settlements and closures), ``duration`` (vacancy
        durations in ``bin_months`` classes), ``status_map`` (units by status
        on the filter date, new settlements ringed unless ``settlements`` is
        false), ``change_map`` (``before`` / ``after``).
    register
        The filtered register (:func:`apply_filters`).
    filters
        The view (area, date) for titles and the map frame.
    start, end
        Period of the charts (default: first observation, filter date).

    Raises
    ------
    InputError
        Unknown ``kind`` or ``before`` not before ``after``.
    """
    from geo.outputs import figures
    from geo.register.stats import timeline

    demo = register.meta.get("demo") == "true"
    end = end or filters.date_at()
    start = start or plausible_start(register, end=end)[0]
    period = f"{fmt_date(start)} bis {fmt_date(end)}"
    area = _area_name(filters)
    if kind == "rate":
        frame = timeline(register, freq=freq, start=start, end=end, by=by)  # type: ignore[arg-type]
        return figures.vacancy_rate_figure(  # small groups left out, as in the app's chart and the report
            frame, title="Leerstandsquote", subtitle=f"{area} · {_FREQ_LABELS.get(freq, '')} · {period}", demo=demo,
            min_units=settings.public_min_units,
            source=f"Quelle: Register des Quartiersservice (Quartiersmonitor) · Werte von Gebieten mit weniger als "
            f"{settings.public_min_units} Einheiten nicht dargestellt",
        )
    if kind == "events":
        frame = timeline(register, freq=freq, start=start, end=end)  # type: ignore[arg-type]
        return figures.events_figure(
            frame,
            title="Neuansiedlungen und Schließungen",
            subtitle=f"{area} · {_FREQ_LABELS.get(freq, '')} · {period}",
            demo=demo,
        )
    if kind == "duration":
        return figures.duration_figure(
            spells_between(register, start=start, end=end),
            bin_months=bin_months,
            subtitle=f"{area} · Leerstände, die {period} begannen · Klassen zu {bin_months} Monaten",
            demo=demo,
        )
    if kind == "status_map":
        at, since = filters.date_at(), filters.period_start()
        settled = events(register, kind="settlement", start=since, end=at) if settlements else None
        return figures.status_map(
            status_at(register, at),
            boundaries=register.boundaries,
            settlements=settled,
            at=at,
            quarter=filters.quarter,
            title=f"Gewerbeeinheiten nach Status – {area}",
            subtitle=describe(filters),
            settlements_label=f"Neuansiedlung seit {fmt_date(since)}",
            demo=demo,
        )
    if kind == "change_map":
        before = before or (pd.Timestamp(end) - pd.DateOffset(years=1)).date()
        after = after or end
        if before >= after:
            raise InputError(f"„Vorher“ ({fmt_date(before)}) muss vor „Nachher“ ({fmt_date(after)}) liegen.")
        return figures.change_map(
            compare(register, before=before, after=after),
            boundaries=register.boundaries,
            before=before,
            after=after,
            quarter=filters.quarter,
            title=f"Vorher / nachher – {area}",
            demo=demo,
        )
    raise InputError(f"Abbildung '{kind}' unbekannt; möglich: {', '.join(FIGURE_STEMS)}.")


def figure_name(kind: str, filters: Filters, fmt: str) -> str:
    """File name of a downloaded figure, e.g. ``leerstandsquote_gruenau_2024-12-31.png``."""
    area = filters.ortsteil or filters.quarter or "alle"
    return file_name(FIGURE_STEMS.get(kind, kind), area, filters.date_at().isoformat(), suffix=fmt)
