"""Import lists into the register and export views of it.

:func:`import_file` validates a file with :func:`geo.imports.plan_import`,
derives Ortsteil and quarter of new units by spatial join and writes
everything in one transaction. :func:`export_units` writes the units with
their status on a date as GeoPackage, GeoJSON, CSV (German Excel) or XLSX;
``public=True`` drops personal and internal fields.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import settings
from geo.areas import approximate_boundaries, assign_areas
from geo.errors import ImportRejected, InputError
from geo.imports import ImportReport, plan_import
from geo.model import INTERNAL_COLUMNS
from geo.register import Register
from geo.stats import status_at
from geo.store import ChangeSet, GeoPackageStore, Store, open_store

ExportFormat = Literal["gpkg", "geojson", "csv", "xlsx"]
EXPORT_FORMATS: tuple[str, ...] = ("gpkg", "geojson", "csv", "xlsx")


def _boundaries_for(register: Register) -> gpd.GeoDataFrame:
    if register.boundaries is not None and len(register.boundaries):
        return register.boundaries
    return approximate_boundaries()


def import_file(
    path: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str],
    as_of: date | None = None,
    on_error: Literal["reject", "skip"] = "reject",
    today: date | None = None,
    recorded_by: str | None = None,
) -> ImportReport:
    """Validate ``path`` and add its units and observations to ``store``.

    Parameters
    ----------
    path
        CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile.
    store
        An open store, or the path of a ``.gpkg`` (created when missing, and
        only when the import is accepted).
    as_of
        Date for rows without a date (default: ``today``).
    on_error
        ``"reject"``: import nothing when any row is bad; ``"skip"``: import the
        good rows and report the others.
    today
        The import date (default: the real today); later dates are rejected.
    recorded_by
        Who records the observations (internal field).

    Returns
    -------
    ImportReport
        What was read, rejected and added.

    Raises
    ------
    ImportRejected
        In ``reject`` mode when any row is bad; nothing is written.
    InputError
        The file cannot be read at all.
    """
    created: Path | None = None
    if isinstance(store, (str, os.PathLike)):
        target = Path(store)
        opened: Store | None = open_store(target) if target.exists() else None
    else:
        target, opened = None, store
    register = opened.read() if opened is not None else Register.empty()
    plan = plan_import(
        path,
        units=register.units,
        observations=register.observations,
        as_of=as_of,
        on_error=on_error,
        today=today,
        recorded_by=recorded_by,
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
        opened = GeoPackageStore.create(target)
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
            created.unlink(missing_ok=True)
    report.units_added = result.units_added
    report.observations_added = result.observations_added
    return report


def export_frame(
    register: Register, *, at: date | str | None = None, public: bool = False
) -> gpd.GeoDataFrame:
    """The units with their status on ``at``, as exported (public: no personal fields)."""
    frame = status_at(register, at)
    frame["lon"] = frame.geometry.x.round(7)
    frame["lat"] = frame.geometry.y.round(7)
    frame["since"] = frame["since"].dt.date
    frame["observed_on"] = frame["observed_on"].dt.date
    frame = frame.drop(columns=["created_at"])
    if public:
        frame = frame.drop(columns=[c for c in frame.columns if c in INTERNAL_COLUMNS])
    return frame


def export_history(register: Register, *, public: bool = False) -> pd.DataFrame:
    """All observations (superseded ones flagged) for the history sheet/layer."""
    superseded = set(register.observations["supersedes"].dropna().astype(int))
    obs = register.observations.assign(
        superseded=register.observations["obs_id"].isin(superseded),
        observed_on=register.observations["observed_on"].dt.date,
    )
    if public:
        obs = obs.drop(columns=[c for c in obs.columns if c in INTERNAL_COLUMNS])
    return obs.sort_values(["unit_id", "observed_on", "recorded_at", "obs_id"]).reset_index(
        drop=True
    )


def _info(register: Register, *, at: date | str | None, public: bool) -> pd.DataFrame:
    rows = [
        ("Stichtag", str(at or date.today())),
        (
            "Fassung",
            "öffentlich (ohne personenbezogene Daten)"
            if public
            else "intern (enthält personenbezogene Daten)",
        ),
        ("Einheiten", str(len(register.units))),
        ("Erstellt mit", "Quartiersmonitor"),
    ]
    if register.meta.get("demo") == "true":
        rows.insert(0, ("Hinweis", settings.demo_label))
    return pd.DataFrame(rows, columns=["Feld", "Wert"])


def _atomic_target(out: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=".qm-export-", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    os.unlink(tmp)
    return Path(tmp)


def export_units(
    register: Register,
    out: str | os.PathLike[str],
    *,
    fmt: ExportFormat | None = None,
    at: date | str | None = None,
    public: bool = False,
) -> Path:
    """Write the units with their status on ``at`` to ``out``.

    Parameters
    ----------
    fmt
        ``gpkg``, ``geojson``, ``csv`` or ``xlsx``; default from ``out``'s extension.
    public
        Drop personal data (owner, contact) and internal fields (notes, staff).

    Notes
    -----
    CSV is written for German Excel: ``;`` separated, decimal comma, UTF-8 with BOM.
    GeoPackage and XLSX also carry the full observation history and an info table.
    """
    out = Path(out)
    fmt = fmt or out.suffix.lstrip(".").lower()  # type: ignore[assignment]
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"Exportformat '{fmt}' unbekannt; erlaubt: {', '.join(EXPORT_FORMATS)}.")
    if not out.parent.exists():
        raise InputError(f"Ordner {out.parent} existiert nicht.")
    frame = export_frame(register, at=at, public=public)
    tmp = _atomic_target(out)
    try:
        if fmt == "gpkg":
            frame.drop(columns=["lon", "lat"]).to_file(tmp, layer="units", driver="GPKG")
            pyogrio.write_dataframe(
                export_history(register, public=public), tmp, layer="observations", driver="GPKG"
            )
            pyogrio.write_dataframe(
                _info(register, at=at, public=public), tmp, layer="info", driver="GPKG"
            )
        elif fmt == "geojson":
            frame.drop(columns=["lon", "lat"]).to_file(tmp, driver="GeoJSON")
        elif fmt == "csv":
            pd.DataFrame(frame.drop(columns="geometry")).to_csv(
                tmp, sep=";", decimal=",", index=False, encoding="utf-8-sig", date_format="%d.%m.%Y"
            )
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                pd.DataFrame(frame.drop(columns="geometry")).to_excel(
                    writer, sheet_name="Einheiten", index=False
                )
                export_history(register, public=public).to_excel(
                    writer, sheet_name="Beobachtungen", index=False
                )
                _info(register, at=at, public=public).to_excel(
                    writer, sheet_name="Info", index=False
                )
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def replace_boundaries(store: Store, boundaries: gpd.GeoDataFrame) -> dict[str, int]:
    """Store new Ortsteil boundaries and re-derive every unit's Ortsteil and quarter.

    Returns counts: ``assigned`` (inside an Ortsteil), ``unassigned`` and
    ``changed`` (units whose Ortsteil changed).
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
    return {
        "assigned": inside,
        "unassigned": len(assigned) - inside,
        "changed": int((before != after).sum()),
    }


def build_demo_store(path: str | os.PathLike[str], *, seed: int = 2015) -> Path:
    """(Re)build the fictional demo register at ``path`` (replaced atomically)."""
    from geo.demo import make_demo_register

    target = Path(path)
    units, observations = make_demo_register(seed=seed)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _atomic_target(target)
    try:
        store = GeoPackageStore.create(tmp)
        store.write(
            ChangeSet(
                boundaries=approximate_boundaries(),
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
) -> int:
    """Append one observation (e.g. after a visit) and return its ``obs_id``.

    Raises
    ------
    InputError
        Unknown unit or status, a date in the future, or ``supersedes`` naming
        an observation of another unit.
    """
    from geo.model import CONFIDENCE_LABELS, STATUSES

    today = today or date.today()
    if status not in STATUSES:
        raise InputError(f"Status '{status}' unbekannt; erlaubt: {', '.join(STATUSES)}.")
    if confidence not in CONFIDENCE_LABELS:
        raise InputError(
            f"Sicherheit '{confidence}' unbekannt; erlaubt: {', '.join(CONFIDENCE_LABELS)}."
        )
    if observed_on > today:
        raise InputError(
            f"Datum {observed_on:%d.%m.%Y} liegt in der Zukunft (heute ist {today:%d.%m.%Y})."
        )
    register = store.read(unit_ids=[unit_id])
    if unit_id not in set(register.units["unit_id"]):
        raise InputError(f"Einheit '{unit_id}' gibt es im Register nicht.")
    if supersedes is not None:
        target = register.observations.loc[register.observations["obs_id"] == supersedes]
        if target.empty or target["unit_id"].iloc[0] != unit_id:
            raise InputError(f"Beobachtung {supersedes} gehört nicht zur Einheit '{unit_id}'.")
    clean = lambda v: v.strip() or None if isinstance(v, str) else v  # noqa: E731
    row = {
        "unit_id": unit_id,
        "observed_on": pd.Timestamp(observed_on),
        "status": status,
        "business_name": clean(business_name),
        "sector": clean(sector),
        "confidence": confidence,
        "source": clean(source),
        "note": clean(note),
        "new_settlement": bool(new_settlement),
        "supersedes": supersedes,
        "recorded_by": clean(recorded_by),
    }
    result = store.write(ChangeSet(observations=pd.DataFrame([row])))
    return result.obs_ids[0]
