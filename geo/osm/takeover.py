"""Taking the register/OpenStreetMap comparison over: selected rows as observations and new units.

The lists of :func:`geo.osm.matching.compare_with_osm` are for review; the rows a
user selects become register records: :func:`to_observations` (a status for a
unit, ``confidence="reported"``, source OpenStreetMap with its data date) and
:func:`units_from_osm` (new units for OSM businesses missing in the register,
id :func:`geo.osm.matching.osm_unit_id`). :func:`apply_to_register` checks the date and every row
and writes both in one transaction; nothing is written if anything is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.dates import german_date, implausible_reason, local_today
from geo.errors import InputError
from geo.formats import fmt_date
from geo.osm.matching import KINDS, _text, osm_unit_id
from geo.places.areas import assign_areas, official_boundaries
from geo.register.model import OBSERVATION_COLUMNS, STATUS_LABELS, UNIT_COLUMNS
from geo.register.store import ChangeSet, Store

__all__ = ["ApplyResult", "apply_to_register", "to_observations", "units_from_osm"]


def _check_rows(rows: pd.DataFrame, kind: str) -> None:
    if kind not in KINDS:
        raise InputError(f"Liste „{kind}“ unbekannt; erlaubt: {', '.join(KINDS)}.")
    needed = [
        c
        for c in ("unit_id", "osm_type", "osm_id", "osm_name", "osm_tag", "use_class", "disused", "data_date")
        if c not in rows.columns
    ]
    if needed:
        raise InputError(
            f"Den Zeilen fehlen die Spalten {', '.join(needed)}; bitte Zeilen aus compare_with_osm verwenden."
        )
    if "kind" in rows.columns and rows["kind"].notna().any() and (rows["kind"].dropna() != kind).any():
        raise InputError(f"Die Zeilen gehören nicht zur Liste „{KINDS[kind]}“.")


def to_observations(
    rows: pd.DataFrame,
    *,
    kind: str,
    observed_on: date,
    recorded_by: str | None = None,
) -> pd.DataFrame:
    """Register observations for selected rows of one list.

    ``vacant_but_osm_business``: the unit is ``occupied`` by the OSM business
    (``business_name``, ``sector`` = its use class). ``occupied_but_osm_disused``:
    the unit is ``probably_vacant``. ``osm_missing_in_register``: the first
    observation of the new unit :func:`geo.osm.matching.osm_unit_id` -- ``occupied`` by the
    business, or ``probably_vacant`` for a vacant/disused feature. Always
    ``confidence="reported"``, ``source="OpenStreetMap (Stand dd.mm.yyyy)"``
    and a note naming the OSM feature; never flagged as new settlement (OSM
    does not say when a business arrived).

    Parameters
    ----------
    rows
        Rows of ``OSMComparison.<kind>``.
    kind
        Which list the rows come from (a key of :data:`KINDS`).
    observed_on
        Date of the observations (usually the OSM data date).
    recorded_by
        Who takes them over (internal field).

    Returns
    -------
    pandas.DataFrame
        :data:`geo.register.model.OBSERVATION_COLUMNS` without ``obs_id``, ready for
        :class:`geo.register.store.ChangeSet`.
    """
    _check_rows(rows, kind)
    records = []
    for row in rows.to_dict("records"):
        active = (
            not bool(row["disused"])
            if kind == "osm_missing_in_register"
            else kind == "vacant_but_osm_business"
        )
        unit_id = (
            osm_unit_id(row["osm_type"], row["osm_id"])
            if kind == "osm_missing_in_register"
            else row["unit_id"]
        )
        stand = fmt_date(row.get("data_date"))
        records.append(
            {
                "unit_id": unit_id,
                "observed_on": pd.Timestamp(observed_on),
                "status": "occupied" if active else "probably_vacant",
                "business_name": _text(row.get("osm_name")) if active else None,
                "sector": _text(row.get("use_class")) if active else None,
                "confidence": "reported",
                "source": f"OpenStreetMap (Stand {stand})",
                "note": f"Abgleich mit OpenStreetMap: {row['osm_type']}/{int(row['osm_id'])} ({row.get('osm_tag')})",
                "new_settlement": False,
                "supersedes": None,
                "recorded_by": recorded_by or None,
                "recorded_at": None,
                "import_id": None,
            }
        )
    columns = [c for c in OBSERVATION_COLUMNS if c != "obs_id"]
    out = pd.DataFrame.from_records(records, columns=columns)
    out["observed_on"] = pd.to_datetime(out["observed_on"])
    out["new_settlement"] = out["new_settlement"].astype(bool)
    return out


def units_from_osm(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """New register units for rows of ``osm_missing_in_register``.

    Id :func:`geo.osm.matching.osm_unit_id`, address and use class from OSM, the OSM point as
    location; ``ortsteil``/``quarter`` empty (set by :func:`geo.places.areas.assign_areas`).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`geo.register.model.UNIT_COLUMNS` and point geometry (EPSG:4326).
    """
    _check_rows(rows, "osm_missing_in_register")
    frame = pd.DataFrame({c: pd.Series([None] * len(rows), dtype="object") for c in UNIT_COLUMNS})
    frame["unit_id"] = [osm_unit_id(t, i) for t, i in zip(rows["osm_type"], rows["osm_id"], strict=True)]
    for target, source in (
        ("street", "osm_street"),
        ("housenumber", "osm_housenumber"),
        ("postcode", "osm_postcode"),
    ):
        if source in rows.columns:
            frame[target] = rows[source].astype("object").where(rows[source].notna(), None).to_numpy()
    frame["use_class"] = rows["use_class"].astype("object").to_numpy()
    frame["floor_area_m2"] = pd.to_numeric(frame["floor_area_m2"]).astype(float)
    geoms = gpd.GeoSeries(rows.geometry.to_numpy(), crs=rows.crs or settings.storage_crs)
    return gpd.GeoDataFrame(
        frame, geometry=geoms.to_crs(settings.storage_crs).to_numpy(), crs=settings.storage_crs
    )


@dataclass
class ApplyResult:
    """What :func:`apply_to_register` wrote.

    Attributes
    ----------
    units
        The new units (with Ortsteil and quarter).
    observations
        The new observations, with their ``obs_id``.
    """

    units: gpd.GeoDataFrame
    observations: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """The written observations as a German table for the user."""
        obs = self.observations
        return pd.DataFrame(
            {
                "Nr.": obs["obs_id"],
                "Einheit": obs["unit_id"],
                "Datum": pd.to_datetime(obs["observed_on"]).dt.strftime("%d.%m.%Y"),
                "Status": obs["status"].map(STATUS_LABELS),
                "Betrieb": obs["business_name"],
                "Quelle": obs["source"],
            }
        )

    @property
    def summary(self) -> str:
        """German one-liner for the user."""
        return (
            f"{len(self.observations)} Beobachtungen übernommen, davon {len(self.units)} für neu angelegte "
            "Einheiten aus OpenStreetMap."
        )


def apply_to_register(
    store: Store,
    rows: Mapping[str, pd.DataFrame],
    *,
    observed_on: date,
    recorded_by: str | None = None,
    today: date | None = None,
) -> ApplyResult:
    """Write selected rows of the lists to the register, in one transaction.

    Parameters
    ----------
    store
        The register store.
    rows
        Selected rows per list kind (keys of :data:`KINDS`); empty frames are skipped.
    observed_on
        Date of the observations (plausible: :func:`geo.dates.implausible_reason`).
    recorded_by
        Who takes them over (internal field).
    today
        Today's date (default: the real one).

    Returns
    -------
    ApplyResult
        The units and observations written.

    Raises
    ------
    InputError
        An implausible date (in the future or before ``geo.settings.earliest_date``), a row whose unit is not in the register, an OSM
        feature already taken over, or the same unit twice; nothing is written.
    """
    today = today or local_today()
    reason = implausible_reason(observed_on, today=today)
    if reason is not None:
        raise InputError(f"Datum {german_date(observed_on)} {reason}; bitte das Datum prüfen.")
    register = store.read()
    known = set(register.units["unit_id"])
    new_units, observations = [], []
    for kind, selected in rows.items():
        if selected is None or not len(selected):
            continue
        _check_rows(selected, kind)
        obs = to_observations(selected, kind=kind, observed_on=observed_on, recorded_by=recorded_by)
        if kind == "osm_missing_in_register":
            taken = sorted(set(obs["unit_id"]) & known)
            if taken:
                raise InputError(
                    f"{', '.join(taken)} ist schon im Register (aus einem früheren Abgleich übernommen); "
                    "nichts wurde geschrieben."
                )
            new_units.append(units_from_osm(selected))
        else:
            unknown = sorted(set(obs["unit_id"].dropna()) - known) + (
                ["(leer)"] if obs["unit_id"].isna().any() else []
            )
            if unknown:
                raise InputError(
                    f"Einheit {', '.join(unknown)} gibt es im Register nicht; nichts wurde geschrieben."
                )
        observations.append(obs)
    if not observations:
        raise InputError("Keine Zeilen ausgewählt; nichts wurde geschrieben.")
    obs = pd.concat(observations, ignore_index=True)
    twice = obs["unit_id"][obs["unit_id"].duplicated()].unique().tolist()
    if twice:
        raise InputError(
            f"Einheit {', '.join(map(str, twice))} ist mehrfach ausgewählt; bitte je Einheit nur eine Zeile wählen. "
            "Nichts wurde geschrieben."
        )
    units = pd.concat(new_units, ignore_index=True) if new_units else None
    if units is not None:
        boundaries = (
            register.boundaries
            if register.boundaries is not None and len(register.boundaries)
            else official_boundaries()
        )
        units = assign_areas(
            gpd.GeoDataFrame(units, geometry="geometry", crs=settings.storage_crs), boundaries
        )
    result = store.write(ChangeSet(new_units=units, observations=obs))
    written = obs.assign(obs_id=pd.array(result.obs_ids, dtype="Int64"))
    empty_units = gpd.GeoDataFrame({c: [] for c in UNIT_COLUMNS}, geometry=[], crs=settings.storage_crs)
    return ApplyResult(units=units if units is not None else empty_units, observations=written)
