"""Import lists into the register and export views of it.

:func:`import_file` validates a file with :func:`geo.register.imports.plan_import`,
derives Ortsteil and quarter of new units by spatial join and writes
everything in one transaction. :func:`export_units` writes the units with
their status on a date as GeoPackage, GeoJSON, CSV (German Excel) or XLSX:
the public version by default (only the columns on the whitelists of
:mod:`geo.register.model`), the internal one with every field on ``internal=True``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import settings
from geo._files import atomic_output, internal_path, temp_path, write_csv, write_xlsx
from geo.dates import german_date, implausible_reason, local_today
from geo.errors import ImportRejected, InputError, StoreError
from geo.formats import field_text, is_missing
from geo.places.areas import assign_areas, official_boundaries
from geo.register.history import HISTORY_ORDER, Register, superseded
from geo.register.imports import ImportReport, plan_import
from geo.register.model import public_frame, wants_internal
from geo.register.stats import status_at
from geo.register.store import (
    ChangeSet,
    GeoPackageStore,
    Store,
    demo_import_refusal,
    is_demo_store,
    open_store,
    remove_new_store,
    store_exists,
)

if TYPE_CHECKING:
    from geo.places.geocoding import Geocoder

ExportFormat = Literal["gpkg", "geojson", "csv", "xlsx"]
EXPORT_FORMATS: tuple[str, ...] = ("gpkg", "geojson", "csv", "xlsx")

ExportHeaders = Literal["de", "en"]
#: Languages of the column headers of CSV and XLSX exports: German (for people) or the register's names.
EXPORT_HEADERS: tuple[str, ...] = ("de", "en")

#: German column headers of CSV and XLSX exports (``headers="de"``), one per exported column
#: (:data:`geo.register.model.PUBLIC_COLUMNS` and the internal ones; a test checks that every exported
#: column has one). Chosen so that a German export imports again: ``Nr.``, ``Straße``, ``Status``
#: (the German status word), ``Datum``, ``Längengrad``/``Breitengrad`` … are column names the import knows
#: (:data:`geo.register.imports.columns.COLUMN_ALIASES`). GeoPackage and GeoJSON keep the register's names.
GERMAN_HEADERS: dict[str, str] = {
    "unit_id": "Nr.",
    "street": "Straße",
    "housenumber": "Hausnummer",
    "postcode": "PLZ",
    "address_note": "Adresszusatz",
    "position": "Lage",
    "floor_area_m2": "Fläche (m²)",
    "use_class": "Nutzungsart",
    "ortsteil": "Ortsteil",
    "quarter": "Quartier",
    "owner_name": "Eigentümer",
    "contact_person": "Ansprechpartner",
    "contact_phone": "Telefon",
    "contact_email": "E-Mail",
    "geocode_method": "Verortung",
    "geocode_quality": "Verortungsgüte",
    "status": "Status-Code",
    "status_label": "Status",
    "business_name": "Betrieb",
    "sector": "Branche",
    "confidence": "Sicherheit",
    "source": "Quelle",
    "observed_on": "Datum",
    "since": "Status seit",
    "vacant_days": "Tage leer",
    "lon": "Längengrad",
    "lat": "Breitengrad",
    "obs_id": "Beobachtung Nr.",
    "note": "Notiz",
    "new_settlement": "Neuansiedlung",
    "supersedes": "ersetzt Nr.",
    "superseded": "überholt",
    "recorded_by": "erfasst von",
    "recorded_at": "gespeichert am",
    "import_id": "Import Nr.",
}


def export_headers(frame: pd.DataFrame, headers: str = "en") -> pd.DataFrame:
    """``frame`` with the column headers of an export in ``headers`` (``de``: :data:`GERMAN_HEADERS`).

    Raises
    ------
    InputError
        ``headers`` is neither ``de`` nor ``en``.
    """
    if headers not in EXPORT_HEADERS:
        raise InputError(
            f"Spaltennamen '{headers}' unbekannt; möglich: de (deutsch) oder en (Feldnamen des Registers)."
        )
    return frame.rename(columns=GERMAN_HEADERS) if headers == "de" else frame


def _boundaries_for(register: Register) -> gpd.GeoDataFrame:
    if register.boundaries is not None and len(register.boundaries):
        return register.boundaries
    return official_boundaries()


def import_file(
    path: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str],
    as_of: date | None = None,
    on_error: Literal["reject", "skip"] = "reject",
    today: date | None = None,
    recorded_by: str | None = None,
    geocoder: Geocoder | None = None,
    geocode_area: Any = None,
    geocode_help: str | None = None,
) -> ImportReport:
    """Validate ``path`` and add its units and observations to ``store``.

    Parameters
    ----------
    path
        CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile.
    store
        An open store, or the path of a ``.gpkg`` or the URL of a PostGIS register
        (created when missing, and only when the import is accepted). Never a demo store (flagged
        ``demo = true``): real data must not land in a file that is fictional
        and may be reset.
    as_of
        Date for rows without a date (default: ``today``).
    on_error
        ``"reject"``: import nothing when any row is bad; ``"skip"``: import the
        good rows and report the others.
    today
        The import date (default: the real today); later dates are rejected.
    recorded_by
        Who records the observations (internal field).
    geocoder
        Places new units with an address but without coordinates
        (:mod:`geo.places.geocoding`); units placed not exactly are listed in
        :attr:`ImportReport.review`. None: such rows are rejected.
    geocode_area
        A polygon the geocoded points must lie in (default: Leipzig's extent only).
    geocode_help
        How to turn geocoding on, in row messages (default: the command line's options).

    Returns
    -------
    ImportReport
        What was read, rejected and added.

    Raises
    ------
    ImportRejected
        In ``reject`` mode when any row is bad; nothing is written.
    InputError
        The file cannot be read at all, or ``store`` is a demo store.
    """
    created: Path | str | None = None
    if isinstance(store, (str, os.PathLike)):
        target: Path | str | None = settings.store_location(store)
        assert target is not None
        opened: Store | None = open_store(target) if store_exists(target) else None
    else:
        target, opened = None, store
    register = opened.read() if opened is not None else Register.empty()
    if register.meta.get("demo") == "true":  # checked again by the store when writing
        raise InputError(demo_import_refusal(str(getattr(opened, "location", target))))
    plan = plan_import(
        Path(path),
        units=register.units,
        observations=register.observations,
        as_of=as_of,
        on_error=on_error,
        today=today,
        recorded_by=recorded_by,
        geocoder=geocoder,
        geocode_area=geocode_area,
        geocode_help=geocode_help,
    )
    report = plan.report
    if not plan.accepted:
        raise ImportRejected(
            f"Import von {Path(path).name} abgelehnt: {len(report.errors)} Fehler, nichts wurde "
            "geschrieben. Fehler beheben oder mit --on-error skip nur die guten Zeilen übernehmen.",
            report,
        )
    boundaries = _boundaries_for(register)
    new_units = assign_areas(plan.new_units, boundaries) if len(plan.new_units) else plan.new_units
    if opened is None:
        assert target is not None
        opened = open_store(target, create=True)
        created = target
    changes = ChangeSet(
        new_units=new_units,
        unit_updates=plan.unit_updates,
        observations=plan.observations,
        boundaries=boundaries if created is not None else None,
        import_record={
            "file_name": Path(path).name,
            "mode": on_error,
            "rows_read": report.rows_read,
            "report": report.to_dict(),
        },
    )
    result = None
    try:
        result = opened.write(changes)
    finally:
        if result is None and created is not None:  # the write failed: no half-made store
            remove_new_store(created)
    report.units_added = result.units_added
    report.observations_added = result.observations_added
    return report


def export_frame(
    register: Register,
    *,
    at: date | str | None = None,
    internal: bool = False,
    public: bool | None = None,
) -> gpd.GeoDataFrame:
    """The units with their status on ``at``, as exported.

    Parameters
    ----------
    internal
        The internal version with every column (owner, contacts, notes, staff,
        address notes, free-text sources). Default: the public version, built
        from :data:`geo.register.model.PUBLIC_COLUMNS` (see :func:`geo.register.model.public_frame`).
    public
        Deprecated spelling: ``public=False`` is ``internal=True``.
    """
    internal = wants_internal(internal, public)
    frame = status_at(register, at)
    frame["lon"] = frame.geometry.x.round(7)
    frame["lat"] = frame.geometry.y.round(7)
    frame["since"] = frame["since"].dt.date
    frame["observed_on"] = frame["observed_on"].dt.date
    frame = frame.drop(columns=["created_at"])
    return frame if internal else public_frame(frame)


def export_history(
    register: Register, *, internal: bool = False, public: bool | None = None
) -> pd.DataFrame:
    """All observations (superseded ones flagged) for the history sheet/layer.

    Public by default (:func:`geo.register.model.public_frame`); ``internal=True`` keeps every column.
    """
    internal = wants_internal(internal, public)
    obs = register.observations.assign(
        superseded=superseded(register.observations),
        observed_on=register.observations["observed_on"].dt.date,
    )
    obs = obs.sort_values(["unit_id", *HISTORY_ORDER]).reset_index(drop=True)
    return obs if internal else public_frame(obs)


def _version(internal: bool) -> str:
    return "intern (enthält personenbezogene Daten)" if internal else "öffentlich (ohne personenbezogene Daten)"


def _info(register: Register, *, at: date | str | None, internal: bool) -> pd.DataFrame:
    rows = [
        ("Stichtag", str(at or local_today())),
        ("Fassung", _version(internal)),
        ("Einheiten", str(len(register.units))),
        ("Erstellt mit", "Quartiersmonitor"),
    ]
    if internal:
        rows.insert(0, ("INTERN", "Nicht zur Weitergabe: enthält Eigentümer, Kontakte, Notizen und Bearbeiter."))
    if register.meta.get("demo") == "true":
        rows.insert(0, ("Hinweis", settings.demo_label))
    return pd.DataFrame(rows, columns=["Feld", "Wert"])


def _atomic_target(out: Path) -> Path:
    """A free temporary path next to ``out`` (see :func:`geo._files.temp_path`)."""
    return temp_path(out, prefix=".qm-export-")


def export_format(out: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The export format for ``out``: ``fmt``, or derived from the file's suffix.

    Raises
    ------
    InputError
        Unknown format, no format and no known suffix, or ``fmt`` contradicting
        the suffix (``--format csv --out x.xlsx``).
    """
    path = Path(out)
    suffix = path.suffix.lstrip(".").lower()
    by_suffix = _SUFFIX_FORMATS.get(suffix)
    if fmt is None:
        if by_suffix is None:
            raise InputError(
                f"Exportformat von {path.name} nicht erkennbar: Dateiendung .gpkg, .geojson, .csv oder .xlsx "
                "verwenden oder das Format angeben (--format)."
            )
        return by_suffix
    fmt = fmt.lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"Exportformat '{fmt}' unbekannt; erlaubt: {', '.join(EXPORT_FORMATS)}.")
    if by_suffix is not None and by_suffix != fmt:
        raise InputError(
            f"Format {fmt} passt nicht zur Datei {path.name} (Endung .{suffix} ist {by_suffix}): "
            f"Endung .{fmt} verwenden oder das Format weglassen."
        )
    return fmt


#: Known file suffixes of export formats.
_SUFFIX_FORMATS: dict[str, str] = {"gpkg": "gpkg", "geojson": "geojson", "json": "geojson", "csv": "csv", "xlsx": "xlsx"}


def export_units(
    register: Register,
    out: str | os.PathLike[str],
    *,
    fmt: ExportFormat | None = None,
    at: date | str | None = None,
    internal: bool = False,
    public: bool | None = None,
    headers: ExportHeaders = "en",
) -> Path:
    """Write the units with their status on ``at`` to ``out``.

    Parameters
    ----------
    fmt
        ``gpkg``, ``geojson``, ``csv`` or ``xlsx``; default from ``out``'s extension
        (a format contradicting the extension is refused).
    internal
        Write the internal version with personal data (owner, contacts) and internal
        fields (notes, staff, address notes, free-text sources). Its file name says
        ``intern`` (``-intern`` is inserted before the suffix when the name lacks it),
        and so do its info table/layer, GeoJSON description and XLSX properties.
        Default: the public version, built from the whitelists in :mod:`geo.register.model`.
    public
        Deprecated spelling: ``public=False`` is ``internal=True``.
    headers
        Column headers of CSV and XLSX: ``en`` the register's field names (default), ``de``
        German ones (:data:`GERMAN_HEADERS`, which an import reads again). GeoPackage and
        GeoJSON always keep the field names.

    Returns
    -------
    pathlib.Path
        The file written (for an internal export possibly renamed, see above).

    Notes
    -----
    CSV is written for German Excel: ``;`` separated, decimal comma, UTF-8 with BOM.
    GeoPackage and XLSX also carry the full observation history and an info table.
    Text cells of CSV and XLSX that a spreadsheet would run as a formula start with ``'``
    (:mod:`geo._files`). The file is replaced atomically and gets normal permissions.
    """
    internal = wants_internal(internal, public)
    out = Path(out)
    fmt = export_format(out, fmt)  # type: ignore[assignment]
    export_headers(pd.DataFrame(), headers)  # a wrong choice fails before the work
    if internal:
        out = internal_path(out)
    if not out.parent.exists():
        raise InputError(f"Ordner {out.parent} existiert nicht.")
    frame = export_frame(register, at=at, internal=internal)
    info = _info(register, at=at, internal=internal)
    title = f"Gewerbeeinheiten{' – INTERN' if internal else ''}"
    with atomic_output(out, prefix=".qm-export-") as tmp:
        if fmt == "gpkg":
            frame.drop(columns=["lon", "lat"]).to_file(
                tmp, layer="units", driver="GPKG", layer_options={"DESCRIPTION": f"{title}: {_version(internal)}"}
            )
            pyogrio.write_dataframe(
                export_history(register, internal=internal), tmp, layer="observations", driver="GPKG"
            )
            pyogrio.write_dataframe(info, tmp, layer="info", driver="GPKG")
        elif fmt == "geojson":
            frame.drop(columns=["lon", "lat"]).to_file(
                tmp,
                driver="GeoJSON",
                layer="einheiten_intern" if internal else "einheiten",
                layer_options={"DESCRIPTION": f"{title}: {_version(internal)}"},
            )
        elif fmt == "csv":
            write_csv(export_headers(pd.DataFrame(frame.drop(columns="geometry")), headers), tmp,
                      date_format="%d.%m.%Y")
        else:
            write_xlsx(
                {
                    "Einheiten": export_headers(pd.DataFrame(frame.drop(columns="geometry")), headers),
                    "Beobachtungen": export_headers(export_history(register, internal=internal), headers),
                    "Info": info,
                },
                tmp,
                title=title,
                subject=_version(internal),
            )
    return out


@dataclass(frozen=True)
class AreaReassignment:
    """Units counted after new Ortsteil boundaries (:func:`replace_boundaries`).

    Attributes
    ----------
    assigned
        Units inside an Ortsteil.
    unassigned
        Units outside every Ortsteil.
    changed
        Units whose Ortsteil changed.
    """

    assigned: int
    unassigned: int
    changed: int


def replace_boundaries(store: Store, boundaries: gpd.GeoDataFrame) -> AreaReassignment:
    """Store new Ortsteil boundaries and re-derive every unit's Ortsteil and quarter.

    Returns the units assigned to an Ortsteil, outside every Ortsteil, and
    with a changed Ortsteil (:class:`AreaReassignment`).
    """
    register = store.read()
    assigned = assign_areas(register.units, boundaries)
    before = register.units["ortsteil"].astype("string").fillna("")
    after = assigned["ortsteil"].astype("string").fillna("")
    store.write(
        ChangeSet(
            boundaries=boundaries,
            area_assignments=pd.DataFrame(assigned[["unit_id", "ortsteil", "quarter"]]),
        )
    )
    inside = int(assigned["ortsteil"].notna().sum())
    return AreaReassignment(
        assigned=inside,
        unassigned=len(assigned) - inside,
        changed=int((before != after).sum()),
    )


def build_demo_store(path: str | os.PathLike[str], *, seed: int = 2015) -> Path:
    """(Re)build the fictional demo register at ``path`` (replaced atomically), flagged as demo.

    Raises
    ------
    StoreError
        ``path`` exists and is not a demo store: a real register is never replaced.
    """
    from geo.register.demo import make_demo_register

    if isinstance(settings.store_location(path), str):
        raise InputError(
            "Das Demo-Register wird als GeoPackage-Datei gebaut, nicht auf einem Server. Auf einen "
            "PostGIS-Server bringen: 'python -m geo demo --store demo.gpkg', dann "
            "'python -m geo store copy demo.gpkg URL'."
        )
    target = Path(path)
    if target.exists() and not is_demo_store(target):
        raise StoreError(
            f"{target} existiert und ist kein Demo-Register; das Demo-Register wird nicht darübergeschrieben. "
            "Einen anderen Pfad wählen (oder die Datei selbst löschen, wenn sie wirklich weg soll)."
        )
    units, observations = make_demo_register(seed=seed)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _atomic_target(target)
    try:
        store = GeoPackageStore.create(tmp)
        store.write(
            ChangeSet(
                boundaries=official_boundaries(),
                new_units=units,
                observations=observations.drop(columns=["obs_id"]),
                meta={"demo": "true", "label": settings.demo_label, "demo_seed": str(seed)},
            )
        )
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def record_observation(
    store: Store,
    *,
    unit_id: str,
    observed_on: date,
    status: str,
    business_name: str | None = None,
    sector: str | None = None,
    confidence: str = "confirmed_on_site",
    source: str = "Begehung",
    note: str | None = None,
    new_settlement: bool = False,
    supersedes: int | None = None,
    recorded_by: str | None = None,
    today: date | None = None,
    expected_version: int | None = None,
) -> int:
    """Append one observation (e.g. after a visit) and return its ``obs_id``.

    Text fields (business, sector, source, note, recorded by) are stripped;
    missing values (None, NaN) and blank text are stored as missing, never as
    the text "nan". ``expected_version``: the store version the observation was
    made on (:meth:`geo.register.store.Store.version`, e.g. when the form was shown).

    Raises
    ------
    StoreConflict
        The store is no longer at ``expected_version``; nothing was written.
    InputError
        Unknown unit or status, a missing date, a date in the future or before
        :data:`geo.settings.earliest_date`, a text longer than
        :data:`geo.settings.max_field_chars`, or ``supersedes`` naming an
        observation of another unit.
    """
    from geo.register.model import CONFIDENCE_LABELS, STATUSES

    today = today or local_today()
    if status not in STATUSES:
        raise InputError(f"Status '{status}' unbekannt; erlaubt: {', '.join(STATUSES)}.")
    if confidence not in CONFIDENCE_LABELS:
        raise InputError(
            f"Sicherheit '{confidence}' unbekannt; erlaubt: {', '.join(CONFIDENCE_LABELS)}."
        )
    if is_missing(observed_on):
        raise InputError("Datum der Beobachtung fehlt; bitte ein Datum angeben.")
    observed_on = pd.Timestamp(observed_on).date()
    reason = implausible_reason(observed_on, today=today)
    if reason is not None:
        raise InputError(
            f"Datum {german_date(observed_on)} {reason}; bitte das Datum prüfen (erlaubt bis heute, "
            "frühestes Datum: geo.settings.earliest_date, QM_EARLIEST_DATE)."
        )
    texts = {
        name: field_text(value, label=label)
        for name, label, value in (
            ("business_name", "Betrieb", business_name),
            ("sector", "Branche", sector),
            ("source", "Quelle", source),
            ("note", "Notiz", note),
            ("recorded_by", "Erfasst von", recorded_by),
        )
    }
    register = store.read(unit_ids=[unit_id])
    if unit_id not in set(register.units["unit_id"]):
        raise InputError(f"Einheit '{unit_id}' gibt es im Register nicht.")
    if supersedes is not None:
        target = register.observations.loc[register.observations["obs_id"] == supersedes]
        if target.empty or target["unit_id"].iloc[0] != unit_id:
            raise InputError(f"Beobachtung {supersedes} gehört nicht zur Einheit '{unit_id}'.")
    row = {
        "unit_id": unit_id,
        "observed_on": pd.Timestamp(observed_on),
        "status": status,
        "business_name": texts["business_name"],
        "sector": texts["sector"],
        "confidence": confidence,
        "source": texts["source"],
        "note": texts["note"],
        "new_settlement": bool(new_settlement),
        "supersedes": supersedes,
        "recorded_by": texts["recorded_by"],
    }
    result = store.write(ChangeSet(observations=pd.DataFrame([row])), expected_version=expected_version)
    return result.obs_ids[0]
