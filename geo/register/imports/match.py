"""Matching the rows of an import against the stored register (stage 4).

:func:`stored_register` prepares what matching needs from the store (units
with address keys and metric locations; the observations still in effect);
:func:`match_units` decides for every row which unit it describes: a stored
one (by number, address or business name) or a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.register.history import superseded
from geo.register.imports._addresses import housenumber_key
from geo.register.imports.columns import UNIT_ATTRIBUTES
from geo.register.imports.parse import ParsedRows, transformer
from geo.register.imports.report import Issues, count
from geo.text import street_key, text_key


@dataclass(frozen=True)
class StoredRegister:
    """What matching and planning need from the store.

    Attributes
    ----------
    units
        One row per stored unit: ``unit_id``, the
        :data:`~geo.register.imports.columns.UNIT_ATTRIBUTES`, ``addr_key``
        (``""`` without a street) and ``mx``/``my`` (location in metres, NaN
        without one).
    observations
        The stored observations still in effect (not superseded by a
        correction): ``obs_id``, ``unit_id``, ``observed_on`` (day),
        ``status``, ``business_name``, ``sector``, ``recorded_at`` and
        ``supersedes``.
    """

    units: pd.DataFrame
    observations: pd.DataFrame


@dataclass(frozen=True)
class MatchedRows:
    """The typed rows with the unit each describes (see :func:`match_units`).

    Attributes
    ----------
    frame
        :attr:`ParsedRows.frame` plus ``key``, ``match``, ``unit``, ``ucode``,
        ``is_new`` and ``multi``.
    notes
        German notes (addresses with several businesses, rows matched).
    issues
        Rows that name no unit.
    """

    frame: pd.DataFrame
    notes: tuple[str, ...]
    issues: Issues


def stored_register(units: gpd.GeoDataFrame, observations: pd.DataFrame) -> StoredRegister:
    """The store's units and observations prepared for matching.

    Parameters
    ----------
    units
        The store's units: :data:`geo.register.model.UNIT_COLUMNS` plus
        ``geometry`` (may be empty).
    observations
        The store's observations: :data:`geo.register.model.OBSERVATION_COLUMNS`
        (may be empty).
    """
    return StoredRegister(units=_stored_units(units), observations=_live_observations(observations))


def _stored_units(units: gpd.GeoDataFrame) -> pd.DataFrame:
    """The stored units' attributes with address key and location in metres (``mx``/``my``)."""
    su = pd.DataFrame(
        {"unit_id": units["unit_id"].astype("str") if "unit_id" in units else pd.Series(dtype="str")}
    )
    for col in UNIT_ATTRIBUTES:
        su[col] = units[col].to_numpy() if col in units.columns else np.nan
    su["addr_key"] = (
        street_key(su["street"].astype("str")) + "|" + housenumber_key(su["housenumber"].astype("str"))
    )
    su.loc[street_key(su["street"].astype("str")) == "", "addr_key"] = ""
    mx = np.full(len(su), np.nan)
    my = np.full(len(su), np.nan)
    if len(su) and isinstance(units, gpd.GeoDataFrame) and units.geometry.name in units.columns:
        geo = units.geometry
        if geo.crs is not None and not geo.crs.equals(settings.storage_crs):
            geo = geo.to_crs(settings.storage_crs)
        arr = geo.values
        present = ~(geo.isna() | geo.is_empty).to_numpy()
        if present.any():
            pts = np.asarray(arr[present])
            non_point = shapely.get_type_id(pts) != 0
            pts = np.where(non_point, shapely.point_on_surface(pts), pts)
            tx = transformer(settings.storage_crs, settings.metric_crs)
            x, y = tx.transform(shapely.get_x(pts), shapely.get_y(pts))
            mx[present] = x
            my[present] = y
    su["mx"] = mx
    su["my"] = my
    return su


def _live_observations(observations: pd.DataFrame) -> pd.DataFrame:
    """The stored observations not superseded by a correction, with the columns matching needs."""
    obs = observations
    cols = [
        "obs_id",
        "unit_id",
        "observed_on",
        "status",
        "business_name",
        "sector",
        "recorded_at",
        "supersedes",
    ]
    if len(obs) == 0:
        return pd.DataFrame(
            {
                "obs_id": pd.Series(dtype="float64"),
                "unit_id": pd.Series(dtype="str"),
                "observed_on": pd.Series(dtype="datetime64[us]"),
                "status": pd.Series(dtype="str"),
                "business_name": pd.Series(dtype="str"),
                "sector": pd.Series(dtype="str"),
                "recorded_at": pd.Series(dtype="datetime64[us]"),
                "supersedes": pd.Series(dtype="Int64"),
            }
        )
    obs = obs.reset_index(drop=True)
    frame = pd.DataFrame(
        {c: obs[c] if c in obs.columns else pd.Series(np.nan, index=obs.index) for c in cols}
    )
    frame["unit_id"] = frame["unit_id"].astype("str")
    corrected = superseded(frame)
    frame["obs_id"] = pd.to_numeric(frame["obs_id"], errors="coerce")
    if corrected.any():
        frame = frame[~corrected]
    frame["observed_on"] = pd.to_datetime(frame["observed_on"]).dt.normalize().astype("datetime64[us]")
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], errors="coerce")
    return frame.reset_index(drop=True)


def match_units(parsed: ParsedRows, stored: StoredRegister, alive: pd.Series) -> MatchedRows:
    """Identify the unit each row describes (stage 4 of an import).

    A row with a unit number is that unit (a stored one when the number is
    stored, else a new one). A row without a number is matched by its address:
    to the one stored unit at the address, or, where several units share an
    address, by business name (each stored unit's latest business). At an
    address with different businesses on the same date in the file, every
    business is a unit of its own.

    Parameters
    ----------
    parsed
        The typed rows.
    stored
        The stored register.
    alive
        Bool by row: rows still without an error (others are not matched).

    Returns
    -------
    MatchedRows
        ``parsed.frame`` plus the columns ``key`` (the row's unit key in the
        file), ``match`` (stored unit id or NaN), ``unit`` (stored id or key),
        ``ucode`` (integer code of ``unit``), ``is_new`` and ``multi`` (an
        address with several businesses on one date).
    """
    w = parsed.frame.copy()
    su = stored.units
    issues = Issues()
    notes: list[str] = []
    stored_ids = su["unit_id"].dropna().unique()

    has_uid = w["uid"].notna()
    no_key = alive & ~has_uid & (w["addr_key"] == "")
    if no_key.any():
        pos = np.flatnonzero(no_key.to_numpy())
        issues = issues.add(
            pos,
            column=None,
            value=None,
            reason="weder Einheiten-Nr. noch Adresse angegeben; die Zeile kann keiner Einheit "
            "zugeordnet werden. Bitte Nr. oder Straße und Hausnummer ergänzen",
        )
    key = pd.Series("", index=w.index, dtype="str")
    match = pd.Series(np.nan, index=w.index, dtype="str")
    key = key.where(~has_uid, "id:" + w["uid"].fillna(""))
    match = match.where(~(has_uid & w["uid"].isin(stored_ids)), w["uid"])

    am = alive & ~has_uid & (w["addr_key"] != "")
    multi = pd.Series(False, index=w.index)
    if am.any():
        sub = w.loc[am, ["addr_key", "date", "biz_key"]]
        per_day = sub.groupby(["addr_key", "date"], sort=False)["biz_key"].nunique()
        multi_addr = per_day[per_day > 1].index.get_level_values(0).unique()
        multi = am & w["addr_key"].isin(multi_addr)
        if len(multi_addr):
            notes.append(
                f"An {count(len(multi_addr), 'Adresse', 'Adressen')} stehen am selben Datum verschiedene Betriebe; "
                "sie gelten als getrennte Einheiten (Zuordnung über den Betriebsnamen). Bei "
                "mehreren Einheiten in einem Haus hilft eine Spalte 'Nr.' mit eigenen Nummern."
            )
        key = key.where(~am, "adr:" + w["addr_key"])
        key = key.where(~multi, key + "#" + w["biz_key"])

        # stored units at each address, and by business name at an address
        addr_units = su[su["addr_key"] != ""].groupby("addr_key")["unit_id"]
        counts = addr_units.size()
        single_uid = addr_units.first()[counts == 1]
        name_map = _name_map(su, stored.observations)
        lookup = pd.MultiIndex.from_arrays([w.loc[am, "addr_key"], w.loc[am, "biz_key"]])
        by_name = pd.Series(name_map.reindex(lookup).to_numpy(), index=w.index[am], dtype="str")

        m_multi = by_name[multi[am].to_numpy()]
        match.loc[m_multi.index] = m_multi
        single = am & ~multi
        if single.any():
            only = w.loc[single, "addr_key"].map(single_uid)
            cand = pd.DataFrame(
                {
                    "key": key[single],
                    "date": w.loc[single, "date"],
                    "_row": w.loc[single, "_row"],
                    "by_name": by_name[single[am].to_numpy()],
                }
            )
            first_named = (
                cand.dropna(subset=["by_name"])
                .sort_values(["date", "_row"])
                .groupby("key")["by_name"]
                .first()
            )
            chosen = only.where(only.notna(), cand["key"].map(first_named))
            match.loc[chosen.index] = chosen.astype("str")
    w["key"] = key
    w["match"] = match
    w["unit"] = match.where(match.notna(), key)
    w["ucode"] = pd.factorize(w["unit"])[0]
    w["is_new"] = match.isna()
    w["multi"] = multi
    matched = int((alive & match.notna()).sum())
    if matched:
        notes.append(f"{count(matched, 'Zeile', 'Zeilen')} vorhandenen Einheiten zugeordnet.")
    return MatchedRows(frame=w, notes=tuple(notes), issues=issues)


def _name_map(su: pd.DataFrame, obs: pd.DataFrame) -> pd.Series:
    """(address key, business key) -> stored unit whose latest observation names it.

    Only each unit's current (latest) business counts, so a business that
    moved within a building is not matched to its old unit.
    """
    if len(obs) == 0 or len(su) == 0:
        return pd.Series(dtype="str", index=pd.MultiIndex.from_arrays([[], []]))
    addr = su.set_index("unit_id")["addr_key"]
    frame = pd.DataFrame(
        {
            "unit_id": obs["unit_id"],
            "addr_key": obs["unit_id"].map(addr),
            "biz_key": text_key(obs["business_name"].astype("str")),
            "observed_on": obs["observed_on"],
            "recorded_at": obs["recorded_at"],
            "obs_id": obs["obs_id"],
        }
    )
    frame = frame[frame["addr_key"].fillna("") != ""]
    frame = frame.sort_values(["observed_on", "recorded_at", "obs_id"], na_position="first")
    frame = frame.drop_duplicates("unit_id", keep="last")
    frame = frame.drop_duplicates(["addr_key", "biz_key"], keep="last")
    return frame.set_index(["addr_key", "biz_key"])["unit_id"]
