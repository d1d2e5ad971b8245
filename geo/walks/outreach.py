"""Outreach walks: plan one and take everything along.

The Quartiersservice walks its streets every week to talk to owners of empty
units, welcome new businesses and check what changed. :func:`plan_outreach`
selects the stops (:func:`geo.walks.stops.select_stops`) and plans the walk
(:func:`geo.walks.tour.plan_walk`) from the quarter's office
(:func:`geo.places.areas.load_quarters`). The :class:`OutreachWalk` it returns
gives the route map (folium, offline assets, :func:`route_map`), the walk sheet
(PDF, :mod:`geo.walks.walksheet`), GPX, JSON and a GeoPackage for QField
(:func:`geo.walks.qfield.export_qfield`); :func:`stop_table`,
:func:`dropped_table` and :func:`stop_labels` show the plan in the app.

The rest of a walk: the stops and their rules in :mod:`geo.walks.stops`, the
visits and follow-ups in :mod:`geo.walks.visits`, the QField file in
:mod:`geo.walks.qfield`, the network in :mod:`geo.walks.network`. Command line:
``python -m geo walk`` (:mod:`geo.cli.walk`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError
from geo.places.areas import get_quarter, load_quarters, quarter_of
from geo.register.history import Register
from geo.text import place_key
from geo.walks.network import OSM_CREDIT
from geo.walks.qfield import export_qfield
from geo.walks.stops import Rule, _column, _missing, _timestamp, select_stops

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import networkx as nx

    from geo.walks.plan import WalkPlan

__all__ = [
    "OutreachWalk",
    "dropped_table",
    "make_walk_id",
    "plan_outreach",
    "route_map",
    "stop_labels",
    "stop_table",
]


# -- planning ------------------------------------------------------------------------------------


def make_walk_id(unit_ids: Iterable[str], *, on: date) -> str:
    """An id for a walk: ``BG-20240503-1a2b3c`` (date and a hash of its stops)."""
    digest = hashlib.sha1(",".join(sorted(map(str, unit_ids))).encode()).hexdigest()[:6]
    return f"BG-{on:%Y%m%d}-{digest}"


@dataclass
class OutreachWalk:
    """A planned outreach walk and everything to take along.

    Attributes
    ----------
    plan
        The route (:class:`geo.walks.plan.WalkPlan`); its ``stops`` carry the
        columns of :func:`select_stops` (reason, check, state, contacts …).
    walk_id
        Id written on the visits of this walk.
    at
        The walk's date.
    area
        Name of the area, for titles (or None).
    network_credit
        Attribution of the walking network (None: none shown).
    demo
        Whether the register is the fictional demo.
    boundaries
        Ortsteil outlines for the map.
    graph
        The walking network (for the streets on the sheet's map).
    notes
        Remarks on the selection (German).
    """

    plan: WalkPlan
    walk_id: str
    at: date
    area: str | None = None
    network_credit: str | None = OSM_CREDIT
    demo: bool = False
    boundaries: gpd.GeoDataFrame | None = None
    graph: Any = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self) -> str:
        """``"Begehung Leipziger Osten am 03.05.2024"``."""
        where = f" {self.area}" if self.area else ""
        return f"Begehung{where} am {self.at:%d.%m.%Y}"

    def file_name(self, suffix: str, *, internal: bool = False) -> str:
        """A download name, e.g. ``begehung-BG-20240503-1a2b3c-intern.pdf``."""
        return f"begehung-{self.walk_id}{'-intern' if internal else ''}.{suffix.lstrip('.')}"

    def to_json(self) -> dict[str, Any]:
        """:meth:`geo.walks.plan.WalkPlan.to_json` with ``walk_id``, ``at``, ``area`` and each stop's reason.

        Each stop also gets its ``reason`` and ``check``.
        """
        data = self.plan.to_json()
        extra = self.plan.stops
        for item, reason, check in zip(
            data["stops"], _column(extra, "reason"), _column(extra, "check"), strict=True
        ):
            item["reason"] = reason
            item["check"] = check
        return {"walk_id": self.walk_id, "at": self.at.isoformat(), "area": self.area, **data}

    def to_gpx(self) -> str:
        """GPX 1.1 of the route and the stops (:meth:`geo.walks.plan.WalkPlan.to_gpx`)."""
        return self.plan.to_gpx(name=self.title)

    def streets(self) -> gpd.GeoDataFrame | None:
        """The network's streets around the walk (EPSG:25833), for the sheet's map; None without graph."""
        if self.graph is None:
            return None
        if "streets" not in self._cache:
            from geo.outputs.staticmaps import MAP_CRS, load_streets

            streets = load_streets(self.graph)
            parts = [self.plan.stops.geometry, gpd.GeoSeries([self.plan.route], crs=settings.storage_crs)]
            box = shapely.box(*pd.concat([p.to_crs(MAP_CRS) for p in parts]).total_bounds).buffer(600)
            self._cache["streets"] = streets.loc[streets.intersects(box).to_numpy()].reset_index(drop=True)
        return self._cache["streets"]

    def sheet_pdf(self, *, internal: bool = False) -> bytes:
        """The walk sheet (A4 PDF, German); contact data only with ``internal=True``."""
        key = ("pdf", internal)
        if key not in self._cache:
            from geo.walks.walksheet import walk_sheet_pdf

            self._cache[key] = walk_sheet_pdf(
                self.plan,
                internal=internal,
                at=self.at,
                title=self.title,
                walk_id=self.walk_id,
                streets=self.streets(),
                boundaries=self.boundaries,
                network_credit=self.network_credit,
                demo=self.demo,
            )
        pdf: bytes = self._cache[key]
        return pdf

    def qfield_gpkg(self, *, internal: bool = False) -> bytes:
        """The GeoPackage for QField (:func:`geo.walks.qfield.export_qfield`) as bytes."""
        with tempfile.TemporaryDirectory(prefix="qm-qfield-") as folder:
            path = export_qfield(
                self.plan.stops,
                Path(folder) / self.file_name("gpkg", internal=internal),
                internal=internal,
                walk_id=self.walk_id,
                at=self.at,
                demo=self.demo,
            )
            return path.read_bytes()

    def route_map(
        self, *, basemap: str = "osm", assets: Literal["inline", "linked"] = "inline", asset_base: str | None = None
    ) -> folium.Map:
        """The folium map of the route with numbered stops (:func:`route_map`)."""
        return route_map(self.plan, basemap=basemap, demo=self.demo, assets=assets, asset_base=asset_base)

    def write(self, out: str | os.PathLike[str], *, internal: bool = False) -> Path:
        """Write the walk as ``.gpx``, ``.pdf``, ``.gpkg`` (QField) or ``.json`` (by the suffix of ``out``).

        Raises
        ------
        InputError
            Unknown suffix or missing folder.
        """
        out = Path(out)
        suffix = _out_suffix(out)
        if suffix == ".gpkg":
            return export_qfield(
                self.plan.stops, out, internal=internal, walk_id=self.walk_id, at=self.at, demo=self.demo
            )
        if suffix == ".pdf":
            data: bytes = self.sheet_pdf(internal=internal)
        elif suffix == ".gpx":
            data = self.to_gpx().encode("utf-8")
        else:
            data = (json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        _write_atomic(out, data)
        return out


_OUT_SUFFIXES = (".gpx", ".pdf", ".gpkg", ".json")


def _out_suffix(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in _OUT_SUFFIXES:
        raise InputError(f"Ausgabe {out.name}: Format unbekannt; erlaubt: {', '.join(_OUT_SUFFIXES)}.")
    if not out.parent.exists():
        raise InputError(f"Ordner {out.parent} existiert nicht.")
    return suffix


def _write_atomic(out: Path, data: bytes) -> None:
    """Replace ``out`` atomically, with normal file permissions (:func:`geo._files.write_bytes`)."""
    from geo._files import write_bytes

    write_bytes(out, data, prefix=".qm-walk-")


def _area_name(area: Any) -> str | None:
    if not isinstance(area, str) or not area.strip():
        return None if area is None else "gezeichnetes Gebiet"
    key = place_key(area)
    for q in load_quarters().values():
        if key in (place_key(q.name), q.slug):
            return q.name
    return area.strip()


def _default_start(area: Any) -> str | None:
    """The quarter (name) whose office starts a walk in ``area``, if the area names one."""
    name = _area_name(area)
    if name is None or not isinstance(area, str):
        return None
    try:
        return get_quarter(name).name
    except InputError:
        return quarter_of(name)


def plan_outreach(
    register: Register,
    graph: nx.MultiDiGraph,
    *,
    at: date | str | None = None,
    rules: Rule | str | Iterable[Rule | str] | None = (),
    area: Any = None,
    street: str | None = None,
    picked: Iterable[str] | None = None,
    verify: pd.DataFrame | Sequence[pd.DataFrame] | None = None,
    start: Any = None,
    end: Any = None,
    round_trip: bool = True,
    speed_kmh: float | None = None,
    minutes_per_visit: float = 10.0,
    time_budget_min: float | None = None,
    network_credit: str | None = OSM_CREDIT,
) -> OutreachWalk:
    """Select the stops (:mod:`geo.walks.stops`) and plan the walk (:func:`geo.walks.tour.plan_walk`).

    Parameters
    ----------
    register
        The register.
    graph
        Walking network from :func:`geo.walks.network.load_walk_graph`.
    at, rules, area, street, picked, verify
        The selection, as in :func:`geo.walks.stops.select_stops`.
    start
        Start point (as :func:`geo.walks.tour.plan_walk` takes it). Default: the
        office of the quarter named by ``area`` (or of the Ortsteil's
        quarter), else the office of the stops' quarter; the first stop where
        that office's address is not entered (the plan's ``start_note`` says so).
    end, round_trip, speed_kmh, minutes_per_visit, time_budget_min
        As in :func:`geo.walks.tour.plan_walk`; stops that do not fit the budget
        are dropped lowest priority first and listed with the reason.
    network_credit
        Attribution of the network (see :func:`geo.walks.network.network_credit`).

    Returns
    -------
    OutreachWalk
        The plan and its take-along files.

    Raises
    ------
    InputError
        Nothing selected, or any error of the selection or the planning.
    """
    from geo.walks.tour import plan_walk

    day = _timestamp(at).date()
    selection = select_stops(register, at=day, rules=rules, area=area, street=street, picked=picked, verify=verify)
    stops, notes = selection.frame, list(selection.notes)
    if stops.empty:
        raise InputError(
            "Keine Stopps: Keine Einheit erfüllt die gewählten Regeln in diesem Gebiet, und keine ist "
            "ausgewählt. Regeln lockern, Gebiet ändern oder Einheiten auswählen."
        )
    if start is None:
        start = _default_start(area)
    plan = plan_walk(
        graph,
        stops,
        start=start,
        end=end,
        round_trip=round_trip,
        speed_kmh=speed_kmh,
        minutes_per_visit=minutes_per_visit,
        time_budget_min=time_budget_min,
    )
    return OutreachWalk(
        plan=plan,
        walk_id=make_walk_id(plan.stops["unit_id"], on=day),
        at=day,
        area=", ".join(p for p in (_area_name(area), street) if p) or None,
        network_credit=network_credit,
        demo=register.meta.get("demo") == "true",
        boundaries=register.boundaries,
        graph=graph,
        notes=notes,
    )


# -- route map -------------------------------------------------------------------------------------

_ROUTE_CSS = """<style>
.qm-stop{display:flex;align-items:center;justify-content:center;width:22px;height:22px;border-radius:50%;
 border:2px solid #222;font:bold 11px/1 sans-serif;color:#fff;text-shadow:0 0 2px #000;box-shadow:0 1px 3px rgba(0,0,0,.4)}
.qm-stop.light{color:#111;text-shadow:none}
.qm-end{display:flex;align-items:center;justify-content:center;width:22px;height:22px;border-radius:3px;
 background:#111;color:#fff;font:bold 11px/1 sans-serif;border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.5)}
</style>"""

_LIGHT = {"unknown", None}


def _template_safe(text: str) -> str:
    """Escaped tooltip HTML that is also safe inside folium's JavaScript template literals."""
    return text.replace("`", "&#96;").replace("${", "&#36;{")


def route_map(
    plan: WalkPlan,
    *,
    basemap: str = "osm",
    demo: bool = False,
    names: bool = True,
    assets: Literal["inline", "linked"] = "inline",
    asset_base: str | None = None,
) -> folium.Map:
    """A folium map of a walk: route line, numbered stops coloured by status, start and end.

    Built on :func:`geo.outputs.maps.render_map` (base maps, legend, demo mark) with
    the Leaflet assets inlined (:mod:`geo.outputs._assets`); only base-map tiles are
    loaded online. All text is HTML-escaped.

    Parameters
    ----------
    plan
        The walk.
    basemap
        ``"osm"``, ``"positron"`` or ``"none"``.
    demo
        Mark the map as fictional demo data.
    names
        Show business names in tooltips.
    assets, asset_base
        As in :func:`geo.outputs.maps.render_map`.
    """
    import folium

    from geo.outputs import maps
    from geo.outputs._assets import apply_assets
    from geo.outputs._leaflet import add_to_head
    from geo.register.model import STATUS_COLORS

    stops = plan.stops
    frame = stops if "status" in stops.columns else stops.assign(status=None)
    data = maps.prepare_map(frame, heat=False, names=names, demo=demo, legend_title="Stopps nach Status")
    m = maps.render_map(data, basemap=basemap, cluster=False, assets=assets, asset_base=asset_base)
    add_to_head(m, _ROUTE_CSS, name="qm_route_css")
    if len(plan.route.coords) >= 2:
        folium.PolyLine(
            [(y, x) for x, y in plan.route.coords], color="#08519c", weight=5, opacity=0.8,
            tooltip=_template_safe(maps.esc(plan.summary)),
        ).add_to(m)
    # markers go on the map itself: a layer added after render_map's layer control breaks the control
    for row in stops.to_dict("records"):
        status = row.get("status") if isinstance(row.get("status"), str) else None
        color = STATUS_COLORS.get(status or "unknown", "#bdbdbd")
        light = " light" if status in _LIGHT else ""
        tip = f"<b>{int(row['order'])}. {maps.esc(row.get('label'))}</b>"
        if names and not _missing(row.get("state")):
            tip += f"<br>{maps.esc(row.get('state'))}"
        if not _missing(row.get("reason")):
            tip += f"<br>{maps.esc(row.get('reason'))}"
        tip += f"<br>{maps.esc(row['unit_id'])} · nach {row['cumulative_m']:.0f} m"
        tip = _template_safe(tip)
        folium.Marker(
            (float(row["lat"]), float(row["lon"])),
            icon=folium.DivIcon(
                html=f'<div class="qm-stop{light}" style="background:{maps.esc(color, quote=True)}">{int(row["order"])}</div>',
                icon_size=(22, 22), icon_anchor=(11, 11),
            ),
            tooltip=tip,
        ).add_to(m)
    ends = [("S", plan.start, "Start")]
    if plan.end is not None and (plan.end.lon, plan.end.lat) != (plan.start.lon, plan.start.lat):
        ends.append(("Z", plan.end, "Ziel"))
    for letter, point, role in ends:
        folium.Marker(
            (point.lat, point.lon),
            icon=folium.DivIcon(html=f'<div class="qm-end">{letter}</div>', icon_size=(22, 22), icon_anchor=(11, 11)),
            tooltip=_template_safe(f"{role}: {maps.esc(point.name)}"),
        ).add_to(m)
    lons = [p.lon for _, p, _ in ends] + list(stops["lon"].astype(float))
    lats = [p.lat for _, p, _ in ends] + list(stops["lat"].astype(float))
    if plan.route.coords:
        xy = np.asarray(plan.route.coords)
        lons += [float(xy[:, 0].min()), float(xy[:, 0].max())]
        lats += [float(xy[:, 1].min()), float(xy[:, 1].max())]
    pad = 0.0008
    m.fit_bounds([[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]], max_zoom=18)
    return apply_assets(m, assets, asset_base)


# -- tables for the app ----------------------------------------------------------------------------------


def stop_table(plan: WalkPlan) -> pd.DataFrame:
    """The stops of a plan as a German table for display (no personal data).

    Besides address, state and the reason of the selection: the priority and what
    it is made of (``Dringlichkeit``), why the stop is in the walk (``Eingeplant, weil``)
    and the streets of the way there (``Weg über``).
    """
    stops = plan.stops
    return pd.DataFrame(
        {
            "Nr.": stops["order"].astype(int).to_numpy(),
            "Adresse": _column(stops, "label"),
            "Betrieb / Stand": _column(stops, "state"),
            "Grund": _column(stops, "reason"),
            "Dringlichkeit": _column(stops, "ranking"),
            "Eingeplant, weil": _column(stops, "decision"),
            "Weg über": _column(stops, "streets"),
            "Weg (m)": stops["leg_m"].round(0).astype(int).to_numpy(),
            "Ankunft nach (min)": stops["eta_min"].round(0).astype(int).to_numpy(),
            "Einheit": stops["unit_id"].astype(str).to_numpy(),
        }
    )


def dropped_table(plan: WalkPlan) -> pd.DataFrame:
    """Stops left out for the time budget: address, unit, priority and why (German columns)."""
    return pd.DataFrame(
        [(d.label or d.unit_id, d.unit_id, d.ranking, d.reason) for d in plan.dropped],
        columns=["Adresse", "Einheit", "Dringlichkeit", "Nicht eingeplant, weil"],
    )


def stop_labels(plan: WalkPlan) -> dict[str, str]:
    """``unit_id`` -> ``"3. Eisenbahnstraße 9 – leer seit 03.2022"`` in walking order."""
    stops = plan.stops
    return {
        str(uid): f"{int(order)}. {label}" + (f" – {state}" if state else "")
        for uid, order, label, state in zip(
            stops["unit_id"], stops["order"], _column(stops, "label"), _column(stops, "state"), strict=True
        )
    }
