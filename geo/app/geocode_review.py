"""The Daten page's geocoding: the import option „Adressen ohne Koordinaten verorten“ and the review list.

* :data:`GEOCODE_CHOICES`, :data:`ADDRESS_UPLOAD_TYPES`, :func:`nominatim_note`,
  :func:`offline_geocoder`, :func:`geocoder_key`, :func:`unavailable_message` -- the import option:
  none, offline from address files (uploaded, or chosen by name from the server's data folder,
  :mod:`geo.app.serverfiles`), or online with Nominatim;
* :func:`review_list`, :func:`review_table`, :func:`review_label` -- „Zu prüfen: Verortung“: the
  stored units placed from their address, not exactly (:func:`geo.places.geocoding.review_units`),
  with what their import found (matched address, uncertainty; from the stored import reports);
* :func:`clicked_point`, :func:`move_text`, :func:`placement_map` -- setting a unit's place by a
  click on a small map; written by :func:`geo.register.relocation.relocate_unit` (accepting a
  place: :func:`geo.register.relocation.accept_location`).
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import folium
import geopandas as gpd
import pandas as pd

from geo import settings
from geo.app.serverfiles import list_server_files, server_file
from geo.errors import InputError
from geo.formats import display_text, fmt_int, fmt_number, is_missing
from geo.places.geocoding import METHOD_LABELS, GeocodingUnavailable, OfflineGeocoder, review_units
from geo.places.geocoding._model import metres, metric_xy
from geo.places.geocoding._sources import ADDRESS_ENDINGS

#: The choices of „Adressen ohne Koordinaten verorten“ on the page Daten.
GEOCODE_CHOICES: dict[str, str] = {
    "none": "nicht verorten (neue Einheiten brauchen Koordinaten in der Liste)",
    "offline": "offline aus Adressdateien (OSM-Daten oder Hauskoordinaten der Stadt)",
    "nominatim": "online mit Nominatim (OpenStreetMap)",
}

#: Endings of address files offered for upload (``st.file_uploader`` types, without the dot).
ADDRESS_UPLOAD_TYPES: tuple[str, ...] = tuple(
    sorted({e.rsplit(".", 1)[-1] for e in ADDRESS_ENDINGS if e != ".shp"})
)

#: Endings of address files listed from the server's data folder.
ADDRESS_SERVER_ENDINGS: tuple[str, ...] = ADDRESS_ENDINGS

#: Nominatim's usage policy (linked in the note).
NOMINATIM_POLICY_URL = "https://operations.osmfoundation.org/policies/nominatim/"

#: German column headers of :func:`review_table`.
REVIEW_HEADERS: dict[str, str] = {
    "unit_id": "Einheit",
    "address": "Adresse",
    "quality_label": "Verortung",
    "matched": "gefunden",
    "uncertainty": "Ungenauigkeit",
    "method_label": "Verfahren",
}


# -- the import option -------------------------------------------------------------------------------


def server_address_files() -> list[str]:
    """Names of the address files in the server's data folder (empty without one)."""
    return list_server_files(suffixes=ADDRESS_SERVER_ENDINGS)


def nominatim_note() -> str:
    """The usage note shown when Nominatim is chosen (German Markdown)."""
    host = settings.nominatim_url.split("://", 1)[-1].rstrip("/")
    return (
        f"Die Adressen werden an **{host}** gesendet ([Nutzungsbedingungen]({NOMINATIM_POLICY_URL})): "
        "höchstens eine Anfrage je Sekunde, keine Massenabfragen – höchstens "
        f"{fmt_int(settings.nominatim_max_queries)} neue Adressen je Import; schon einmal gefragte Adressen "
        "kommen aus dem Zwischenspeicher. Große Listen besser offline aus Adressdateien verorten."
    )


def geocoder_key(uploads: Sequence[tuple[str, bytes]], server_names: Sequence[str]) -> str:
    """A key of the chosen address files (names and content; server files by name, size and time)."""
    digest = hashlib.sha256()
    for name, data in uploads:
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    for name in server_names:
        stat = server_file(name, suffixes=ADDRESS_SERVER_ENDINGS).stat()
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def offline_geocoder(uploads: Sequence[tuple[str, bytes]], server_names: Sequence[str]) -> OfflineGeocoder:
    """An offline geocoder from uploaded address files (name, content) and files of the server's data folder.

    Raises
    ------
    InputError
        No file chosen, an upload of another type, a server file not listed, or an unreadable
        address file (the message names it).
    """
    if not uploads and not server_names:
        raise InputError(
            "Keine Adressdatei gewählt: bitte OSM-Daten oder die Hauskoordinaten der Stadt hochladen oder aus "
            "dem Datenordner wählen."
        )
    paths: list[Path] = [server_file(n, suffixes=ADDRESS_SERVER_ENDINGS) for n in server_names]
    with tempfile.TemporaryDirectory(prefix="qm-addresses-") as folder:
        for i, (name, data) in enumerate(uploads):
            clean = Path(name).name
            if not clean.lower().endswith(ADDRESS_ENDINGS) or clean.lower().endswith(".shp"):
                raise InputError(
                    f"Adressdatei '{clean}': Dateityp wird nicht unterstützt; erlaubt: "
                    + ", ".join(f".{t}" for t in ADDRESS_UPLOAD_TYPES)
                )
            target = Path(folder) / str(i) / clean  # one folder each: two uploads may share a name
            target.parent.mkdir()
            target.write_bytes(data)
            paths.append(target)
        return OfflineGeocoder.from_files(paths)  # read completely here: the folder goes afterwards


def unavailable_message(exc: GeocodingUnavailable) -> str:
    """The page's message when Nominatim cannot be reached or refuses (the cause first, then what to choose)."""
    cause = str(exc).split(". ", 1)[0].rstrip(".")
    return (
        f"{cause}. Nichts wurde geprüft oder importiert. Ohne Internet oben „offline aus Adressdateien“ wählen "
        "(OSM-Daten oder Hauskoordinaten hochladen oder aus dem Datenordner wählen); ein eigener "
        "Nominatim-Server: Einstellung nominatim_url bzw. Umgebungsvariable QM_NOMINATIM_URL."
    )


# -- the review list -------------------------------------------------------------------------------------


def review_details(imports: pd.DataFrame | None) -> pd.DataFrame:
    """What the imports found for the units they placed not exactly, the latest import's per unit.

    Parameters
    ----------
    imports
        The store's import log (:meth:`geo.register.store.Store.imports`), whose ``report``
        (JSON) lists the review items (:class:`geo.register.imports.report.ReviewItem`).

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``matched``, ``uncertainty_m``, ``reason``; one row per unit.
    """
    rows: dict[str, dict[str, Any]] = {}
    for text in [] if imports is None or "report" not in imports else imports["report"]:
        if is_missing(text):
            continue
        try:
            report = json.loads(text)
        except (TypeError, ValueError):  # an import log not written by this program: no details from it
            continue
        items = report.get("review") if isinstance(report, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("unit_id"):
                rows[str(item["unit_id"])] = item
    return pd.DataFrame(
        {
            "unit_id": pd.Series(list(rows), dtype="str"),
            "matched": pd.Series([r.get("matched") for r in rows.values()], dtype="str"),
            "uncertainty_m": pd.to_numeric(
                pd.Series([r.get("uncertainty_m") for r in rows.values()], dtype=object), errors="coerce"
            ).astype("float64"),
            "reason": pd.Series([r.get("reason") for r in rows.values()], dtype="str"),
        }
    )


def _address(row: Mapping[str, Any]) -> str:
    """``Straße Nr, PLZ`` (no address note: that is internal)."""
    text = " ".join(p for p in (display_text(row.get(k)) for k in ("street", "housenumber")) if p)
    postcode = display_text(row.get("postcode"))
    return f"{text}, {postcode}" if text and postcode else text or postcode


def review_list(units: gpd.GeoDataFrame, imports: pd.DataFrame | None = None) -> pd.DataFrame:
    """„Zu prüfen: Verortung“: stored units placed from their address, not exactly, worst first.

    Parameters
    ----------
    units
        The store's units (``Register.units``).
    imports
        The store's import log, for the matched address and uncertainty (:func:`review_details`).

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``address``, ``quality``, ``quality_label``, ``method``, ``method_label``,
        ``matched``, ``uncertainty_m``, ``reason``, ``lon``, ``lat`` (the stored point).
    """
    listed = review_units(units)
    details = review_details(imports).set_index("unit_id")
    points = units.drop_duplicates("unit_id").set_index("unit_id").geometry.reindex(listed["unit_id"])
    ids = listed["unit_id"].astype("str")
    return pd.DataFrame(
        {
            "unit_id": ids,
            "address": pd.Series([_address(r) for r in listed.to_dict("records")], dtype="str"),
            "quality": listed["geocode_quality"].astype("str"),
            "quality_label": listed["quality_label"].astype("str"),
            "method": listed["geocode_method"].astype("str"),
            "method_label": listed["geocode_method"].map(METHOD_LABELS).fillna(listed["geocode_method"]).astype("str"),
            "matched": details["matched"].reindex(ids).to_numpy(),
            "uncertainty_m": details["uncertainty_m"].reindex(ids).to_numpy(dtype="float64"),
            "reason": details["reason"].reindex(ids).to_numpy(),
            "lon": [math.nan if p is None or p.is_empty else p.x for p in points],
            "lat": [math.nan if p is None or p.is_empty else p.y for p in points],
        }
    ).astype({"matched": "str", "reason": "str"})


def review_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`review_list` for people: German headers (:data:`REVIEW_HEADERS`), uncertainty as text."""
    out = frame.assign(
        uncertainty=[f"bis {metres(v)}" if not is_missing(v) and v > 0 else "" for v in frame["uncertainty_m"]],
        matched=[display_text(v) for v in frame["matched"]],
    )
    return out[list(REVIEW_HEADERS)].rename(columns=REVIEW_HEADERS)


def review_label(row: Mapping[str, Any]) -> str:
    """A unit of the review list in a choice list: ``QM-0012 · Eisenbahnstr. 31, 04315 (Straßenname angenähert)``."""
    return f"{row['unit_id']} · {row['address']} ({row['quality_label']})"


# -- placing on the map -----------------------------------------------------------------------------------


def clicked_point(returned: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """``(lon, lat)`` of the last click on a map shown with ``st_folium`` (``last_clicked``), or None."""
    click = (returned or {}).get("last_clicked")
    if not isinstance(click, Mapping):
        return None
    try:
        lon, lat = float(click["lng"]), float(click["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lon, lat) if math.isfinite(lon) and math.isfinite(lat) else None


def move_text(before: tuple[float, float] | None, after: tuple[float, float]) -> str:
    """``neuer Ort 51,34512 N, 12,40234 O – 85 m vom bisherigen`` (German)."""
    lon, lat = (fmt_number(v, digits=5, grouping=False) for v in after)
    text = f"neuer Ort {lat} N, {lon} O"
    if before is None or any(is_missing(v) for v in before):
        return text
    (x0, y0), (x1, y1) = metric_xy(*before), metric_xy(*after)
    return f"{text} – {metres(math.hypot(x1 - x0, y1 - y0))} vom bisherigen Ort"


def placement_map(
    *,
    current: tuple[float, float] | None,
    label: str,
    boundaries: gpd.GeoDataFrame | None = None,
    height: int = 380,
    assets: Literal["inline", "linked"] = "inline",
    asset_base: str | None = None,
) -> folium.Map:
    """A small map around the unit's current place (grey), the Ortsteile outlined; a click sets the new point.

    ``assets`` and ``asset_base`` as in :func:`geo.outputs.maps.render_map`. The new point is
    drawn by :func:`new_point_layer` (a layer of its own, so the map is not rebuilt for it).
    """
    from geo.outputs import maps
    from geo.outputs._assets import apply_assets

    m = maps.new_map(height=height)
    url, attr = maps._TILES["osm"]
    folium.TileLayer(url, attr=attr, name=maps.BASEMAPS["osm"], max_zoom=maps.MAX_ZOOM).add_to(m)
    if boundaries is not None and len(boundaries):
        outline = boundaries[["name", "geometry"]].to_crs(settings.metric_crs)
        outline = outline.assign(geometry=outline.simplify(3)).to_crs(settings.storage_crs)
        folium.GeoJson(
            outline.to_json(), name="Ortsteile", style_function=lambda _: {"color": "#555555", "weight": 1.5,
                                                                          "dashArray": "5 4", "fillOpacity": 0.03},
        ).add_to(m)
    if current is not None and not any(is_missing(v) for v in current):
        folium.CircleMarker(
            [current[1], current[0]], radius=8, color="#555555", fill=True, fill_opacity=0.5,
            tooltip=f"bisher: {label}",
        ).add_to(m)
        m.fit_bounds([[current[1] - 0.0012, current[0] - 0.002], [current[1] + 0.0012, current[0] + 0.002]])
    return apply_assets(m, assets, asset_base)


def new_point_layer(point: tuple[float, float] | None) -> folium.FeatureGroup:
    """The clicked point as a red marker in a layer of its own (``st_folium(feature_group_to_add=...)``)."""
    group = folium.FeatureGroup(name="neuer Ort")
    if point is not None:
        folium.CircleMarker(
            [point[1], point[0]], radius=9, color="#b2182b", weight=3, fill=True, fill_opacity=0.8,
            tooltip="neuer Ort (noch nicht gespeichert)",
        ).add_to(group)
    return group
