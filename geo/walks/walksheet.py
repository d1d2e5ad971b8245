"""The walk sheet: a printable A4 PDF (German) to take on an outreach walk.

Page 1 holds the title, the walk in one sentence, start and end, and a static
map drawn with matplotlib in EPSG:25833: streets of the walking network, the
route with arrows in walking direction, the stops numbered in walking order
and coloured by status, start (S) and end (Z), a scale bar, a north arrow,
the date („Stand“) and the attribution of the network („© OpenStreetMap-
Mitwirkende, ODbL“ when it comes from OpenStreetMap). Then one table row per
stop in walking order: number, address, the streets to walk there („über
Eisenbahnstraße → Hermann-Liebmann-Straße“, where the network has names),
business or „leer seit MM.JJJJ“, what to check (from the reason the stop was
selected) and room for notes, with tick boxes for the outcome. Stops left out
for the time budget follow with their address and the reason. A walk that
starts at its first stop (office address not entered) says so under the title.

Contact data (owner, contact person, phone) appear only in the internal
version (``internal=True``). Every text from the register is escaped for
reportlab's paragraph markup (business names may contain ``&`` or ``<``).
The footer of every page carries „Demo-Daten (fiktiv)“ when the register is
the demo.
"""

from __future__ import annotations

import io
import math
import os
import textwrap
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    Image,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from shapely.geometry import LineString, Point

from geo import settings
from geo.dates import local_today
from geo.formats import display_text, fmt_date, fmt_number
from geo.outputs import staticmaps as SM
from geo.register.model import STATUS_COLORS, STATUS_LABELS, STATUSES
from geo.walks.network import OSM_CREDIT
from geo.walks.stops import state_text

if TYPE_CHECKING:  # pragma: no cover
    from geo.walks.plan import WalkPlan

__all__ = ["CONTACT_FIELDS", "map_credits", "walk_figure", "walk_sheet_pdf", "write_walk_sheet"]

_FONT, _BOLD = "QM-Walk-Sans", "QM-Walk-Sans-Bold"
_PAGE_W, _PAGE_H = A4
_MARGIN_X, _MARGIN_TOP, _MARGIN_BOTTOM = 14 * mm, 13 * mm, 17 * mm
_WIDTH = _PAGE_W - 2 * _MARGIN_X
_INK = colors.HexColor("#1b1b1b")
_GREY = colors.HexColor("#5a5a5a")
_RED = colors.HexColor("#c0392b")
_HEAD_BG = colors.HexColor("#e6edf4")
_RULE = colors.HexColor("#9aa5b1")
_ROUTE = "#2166ac"
_LIGHT_STATUSES = {"unknown", None}
_CREDIT_PT = 9.2  # height of one credit line in points

#: Personal columns shown in the internal version, with their German labels.
CONTACT_FIELDS: dict[str, str] = {
    "owner_name": "Eigentümer/in",
    "contact_person": "Kontakt",
    "contact_phone": "Tel.",
}


def _text(value: Any) -> str:
    return display_text(value)


def map_credits(
    *,
    at: date,
    network_credit: str | None,
    streets: bool,
    boundaries: gpd.GeoDataFrame | None,
) -> list[str]:
    """Date and sources of the walk map: „Stand …“, the network's attribution, boundaries, no base map."""
    out = [f"Stand {fmt_date(at)}"]
    if network_credit:
        out.append(
            f"Wegenetz{' und Straßen' if streets else ''}: {network_credit}"
            if network_credit.startswith(OSM_CREDIT)
            else network_credit
        )
    boundary = SM.boundary_credit(boundaries) if boundaries is not None and len(boundaries) else None
    if boundary:
        out.append(f"Ortsteilgrenzen: {boundary}")
    out.append(SM.NO_BASEMAP)
    return out


# -- the map ----------------------------------------------------------------------------------


def _metric(geoms: Sequence[Any]) -> gpd.GeoSeries:
    return gpd.GeoSeries(list(geoms), crs=settings.storage_crs).to_crs(SM.MAP_CRS)


def _fit(ax: Any, fig: Figure, bounds: Sequence[float], pad: float) -> None:
    minx, miny, maxx, maxy = bounds
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    box = ax.get_position()
    fw, fh = fig.get_size_inches()
    aspect = (box.width * fw) / (box.height * fh)
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    if w / h < aspect:
        grow = h * aspect - w
        minx, maxx = minx - grow / 2, maxx + grow / 2
    else:
        grow = w / aspect - h
        miny, maxy = miny - grow / 2, maxy + grow / 2
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")


def _label_positions(points: np.ndarray, occupied: np.ndarray, sep: float) -> np.ndarray:
    """Where to draw each numbered marker: on its point, or pushed aside when markers would overlap."""
    placed = [tuple(p) for p in occupied]
    out = np.empty_like(points)
    angles = np.deg2rad(np.arange(0, 360, 30) + 45)
    for i, p in enumerate(points):
        candidate = p
        for ring in (0.0, 1.15, 2.1, 3.0):
            options = [p] if ring == 0 else [p + ring * sep * np.array([np.cos(a), np.sin(a)]) for a in angles]
            free = [c for c in options if all(math.hypot(c[0] - q[0], c[1] - q[1]) >= sep for q in placed)]
            if free:
                candidate = free[0]
                break
        placed.append(tuple(candidate))
        out[i] = candidate
    return out


def _route_arrows(ax: Any, line: LineString, *, color: str) -> None:
    """Arrowheads along the route in walking direction."""
    length = line.length
    if length < 60:
        return
    n = int(min(24, max(3, length // 220)))
    for t in np.linspace(length / (n + 1), length * n / (n + 1), n):
        a, b = line.interpolate(t - 6), line.interpolate(t + 6)
        if a.distance(b) < 1:
            continue
        ax.annotate(
            "", xy=(b.x, b.y), xytext=(a.x, a.y), zorder=5,
            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 0, "mutation_scale": 13, "shrinkA": 0, "shrinkB": 0},
        )


def walk_figure(
    plan: WalkPlan,
    *,
    streets: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    at: date | None = None,
    network_credit: str | None = OSM_CREDIT,
    demo: bool = False,
    figsize: tuple[float, float] = (7.17, 8.35),
    credits: bool = True,
) -> Figure:
    """The walk's map: route, numbered stops, start/end, scale bar, north arrow, date and credits.

    Drawn in EPSG:25833 without pyplot and without internet (no tiles).

    Parameters
    ----------
    plan
        The walk.
    streets
        Street lines drawn under the route (any CRS), e.g. the walking
        network as returned by :func:`geo.outputs.staticmaps.load_streets`.
    boundaries
        Ortsteil outlines drawn faintly.
    at
        The date printed as „Stand“ (default today).
    network_credit
        Attribution of the walking network and streets; None for none.
    demo
        Print „Demo-Daten (fiktiv)“.
    figsize
        Size in inches.
    credits
        Print date and attribution under the map (:func:`map_credits`);
        the walk sheet prints them as PDF text instead.

    Returns
    -------
    matplotlib.figure.Figure
        The map.
    """
    at = at or local_today()
    with_streets = streets is not None and len(streets) > 0
    fig = Figure(figsize=figsize)
    bottom = 0.004
    if credits:
        lines = textwrap.wrap(" · ".join(map_credits(at=at, network_credit=network_credit, streets=with_streets,
                                                     boundaries=boundaries)), width=int(figsize[0] * 19.5))
        line_h = _CREDIT_PT / 72 / figsize[1]
        bottom = line_h * (len(lines) + (1 if demo else 0)) + 0.012
        fig.text(0.008, 0.004 + (line_h if demo else 0), "\n".join(lines), ha="left", va="bottom", fontsize=6.6,
                 color="#444444", linespacing=1.3)
        if demo:
            fig.text(0.008, 0.004, settings.demo_label, ha="left", va="bottom", fontsize=7.5, weight="bold",
                     color="#c0392b")
    ax = fig.add_axes((0.008, bottom, 0.984, 0.994 - bottom))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#8c8c8c")
    ax.set_facecolor("#fbfbf8")

    stops = plan.stops
    stop_xy = _metric(stops.geometry.to_crs(settings.storage_crs).to_numpy()) if len(stops) else _metric([])
    ends = [("S", plan.start, "Start")]
    if plan.end is not None and (plan.end.lon, plan.end.lat) != (plan.start.lon, plan.start.lat):
        ends.append(("Z", plan.end, "Ziel"))
    end_xy = _metric([Point(p.lon, p.lat) for _, p, _ in ends])
    route = _metric([plan.route]).iloc[0] if len(plan.route.coords) >= 2 else None
    parts = [*stop_xy, *end_xy] + ([route] if route is not None else [])
    bounds = shapely.union_all(parts).bounds
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 200.0)
    _fit(ax, fig, bounds, pad=max(60.0, 0.07 * span))
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    view = shapely.box(x0, y0, x1, y1)

    if with_streets and streets is not None:
        s = streets if streets.crs is not None else streets.set_crs(settings.storage_crs)
        s = s.to_crs(SM.MAP_CRS) if not s.crs.equals(SM.MAP_CRS) else s
        s = s.loc[s.intersects(view).to_numpy()]
        if len(s):
            major = np.zeros(len(s), dtype=bool)
            if "highway" in s.columns:
                major = s["highway"].astype(str).str.contains("primary|secondary|tertiary|trunk", regex=True).to_numpy()
            s.loc[~major].plot(ax=ax, color="#cfcfcf", linewidth=0.8, zorder=1)
            if major.any():
                s.loc[major].plot(ax=ax, color="#b5b5b5", linewidth=1.6, zorder=1)
    if boundaries is not None and len(boundaries):
        b = boundaries if boundaries.crs is not None else boundaries.set_crs(settings.storage_crs)
        b = b.to_crs(SM.MAP_CRS)
        b = b.loc[b.intersects(view).to_numpy()]
        if len(b):
            b.boundary.plot(ax=ax, color="#8c8c8c", linewidth=0.9, linestyle=(0, (5, 3)), zorder=2)

    if route is not None:
        xs, ys = route.xy
        ax.plot(xs, ys, color="white", linewidth=6.5, solid_capstyle="round", solid_joinstyle="round", zorder=3)
        ax.plot(xs, ys, color=_ROUTE, linewidth=3.2, alpha=0.9, solid_capstyle="round", solid_joinstyle="round", zorder=4)
        _route_arrows(ax, route, color="#08306b")

    sep = 0.03 * (x1 - x0)
    end_pts = np.array([[p.x, p.y] for p in end_xy])
    pts = np.array([[p.x, p.y] for p in stop_xy]) if len(stop_xy) else np.zeros((0, 2))
    labels = _label_positions(pts, end_pts, sep)
    halo = [patheffects.withStroke(linewidth=2.2, foreground="black")]
    statuses = [s if isinstance(s, str) else None for s in (stops["status"] if "status" in stops.columns else [None] * len(stops))]
    for (px, py), (lx, ly), order, status in zip(pts, labels, stops["order"], statuses, strict=True):
        if (lx, ly) != (px, py):
            ax.plot([px, lx], [py, ly], color="#333333", linewidth=0.7, zorder=6)
            ax.plot(px, py, marker="o", markersize=3, color="#333333", zorder=6)
        color = STATUS_COLORS.get(status or "unknown", "#bdbdbd")
        ax.plot(lx, ly, marker="o", markersize=14, markerfacecolor=color, markeredgecolor="#111111",
                markeredgewidth=1.1, zorder=7)
        light = status in _LIGHT_STATUSES
        ax.text(lx, ly, str(int(order)), ha="center", va="center_baseline", fontsize=7.2, weight="bold", zorder=8,
                color="#111111" if light else "white", path_effects=None if light else halo)
    for (letter, _, _), (ex, ey) in zip(ends, end_pts, strict=True):
        ax.plot(ex, ey, marker="s", markersize=14, markerfacecolor="#111111", markeredgecolor="white",
                markeredgewidth=1.2, zorder=9)
        ax.text(ex, ey, letter, ha="center", va="center_baseline", fontsize=7.5, weight="bold", color="white", zorder=10)

    handles: list[Any] = [
        Line2D([], [], color=_ROUTE, linewidth=3, label="Route (Pfeile: Gehrichtung)"),
        Line2D([], [], linestyle="none", marker="s", markersize=8, markerfacecolor="#111111",
               markeredgecolor="white", label="S Start" + (" · Z Ziel" if len(ends) > 1 else "")),
    ]
    present = [s for s in STATUSES if s in statuses] + (["none"] if None in statuses else [])
    for s in present:
        label = STATUS_LABELS.get(s, "keine Angabe")
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=8, markeredgecolor="#111111",
                              markerfacecolor=STATUS_COLORS.get(s, "#ffffff"), label=f"Stopp: {label}"))
    leg = ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=True, framealpha=0.92,
                    edgecolor="#bbbbbb", borderpad=0.6, handletextpad=0.5, labelspacing=0.45)
    leg.set_zorder(11)
    ax.set_xlabel("")
    ax.set_ylabel("")
    SM.add_scale_bar(ax)
    SM.add_north_arrow(ax)
    return fig


# -- the PDF ----------------------------------------------------------------------------------


def _register_fonts() -> None:
    """DejaVu Sans from matplotlib's data (always installed; covers ☐ and every German character)."""
    if _FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(_FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=_BOLD, italic=_FONT, boldItalic=_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    # long street names („Hermann-Liebmann-Straße“) break at their hyphens, not inside a word
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9, leading=12, textColor=_INK, embeddedHyphenation=1,
                          splitLongWords=0)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=_BOLD, fontSize=15, leading=19, spaceAfter=3),
        "body": body,
        "info": ParagraphStyle("info", parent=body, fontSize=8.5, leading=11.2),
        "warn": ParagraphStyle("warn", parent=body, fontName=_BOLD, fontSize=8.5, leading=11.2, textColor=_RED),
        "h2": ParagraphStyle("h2", parent=body, fontName=_BOLD, fontSize=12, leading=15, spaceAfter=5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.4, leading=10.4),
        "cell_b": ParagraphStyle("cell_b", parent=body, fontName=_BOLD, fontSize=8.6, leading=10.6),
        "small": ParagraphStyle("small", parent=body, fontSize=7.2, leading=9, textColor=_GREY),
        "num": ParagraphStyle("num", parent=body, fontName=_BOLD, fontSize=11, leading=13, alignment=1),
        "head": ParagraphStyle("head", parent=body, fontName=_BOLD, fontSize=8, leading=10),
        "tick": ParagraphStyle("tick", parent=body, fontSize=7.6, leading=10.5, textColor=_GREY),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped, because names and addresses are user input."""
    return Paragraph(escape(_text(text)), style)


def _markup(parts: Sequence[tuple[str, bool]], style: ParagraphStyle) -> Paragraph:
    """A paragraph from (text, bold) pieces, each escaped, joined by line breaks."""
    lines = [f"<b>{escape(t)}</b>" if bold else escape(t) for t, bold in parts if t]
    return Paragraph("<br/>".join(lines), style)


def _stop_rows(plan: WalkPlan, st: dict[str, ParagraphStyle], *, internal: bool) -> list[list[Any]]:
    rows: list[list[Any]] = []
    ticks = "☐ gesprochen  ☐ niemand da<br/>☐ Status geändert<br/>☐ Nachfassen am ________"
    for row in plan.stops.to_dict("records"):
        meta = f"{_text(row.get('unit_id'))} · nach {fmt_number(float(row['cumulative_m']))} m · ca. {fmt_number(float(row['eta_min']))} min"
        address: list[Any] = [_p(_text(row.get("label")) or _text(row.get("unit_id")), st["cell_b"]), _p(meta, st["small"])]
        if _text(row.get("streets")):
            address.append(_p(f"über {_text(row.get('streets'))}", st["small"]))
        if internal:
            contact = [f"{label}: {_text(row.get(col))}" for col, label in CONTACT_FIELDS.items() if _text(row.get(col))]
            if contact:
                address.append(_markup([(c, False) for c in contact], st["small"]))
        state = _text(row.get("state")) or state_text(
            row.get("status"), business_name=row.get("business_name"), since=row.get("since")
        )
        check = [(_text(row.get("reason")), True), (_text(row.get("check")), False)]
        rows.append(
            [
                _p(int(row["order"]), st["num"]),
                address,
                _p(state, st["cell"]),
                _markup(check, st["cell"]) if any(t for t, _ in check) else _p("Stand vor Ort prüfen", st["cell"]),
                [Paragraph(ticks, st["tick"]), Spacer(1, 9 * mm)],
            ]
        )
    return rows


def walk_sheet_pdf(
    plan: WalkPlan,
    *,
    internal: bool = False,
    at: date | None = None,
    title: str | None = None,
    walk_id: str | None = None,
    streets: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    network_credit: str | None = OSM_CREDIT,
    demo: bool = False,
) -> bytes:
    """The walk sheet as an A4 PDF (German).

    Parameters
    ----------
    plan
        The walk; its stops may carry the columns of
        :func:`geo.walks.stops.select_stops` (``reason``, ``check``, ``state``,
        status, business, contacts).
    internal
        Print owner, contact person and phone per stop (personal data: for
        internal use only). Never in the default version.
    at
        The walk's date, printed as „Stand“ (default today).
    title
        Title on page 1 (default „Begehung am <date>“).
    walk_id
        The walk's id, printed in the header and footer.
    streets
        Street lines for the map (:func:`walk_figure`).
    boundaries
        Ortsteil outlines for the map.
    network_credit
        Attribution of the walking network; None for none.
    demo
        Print „Demo-Daten (fiktiv)“ on the map and in every footer.

    Returns
    -------
    bytes
        The PDF.
    """
    _register_fonts()
    st = _styles()
    at = at or local_today()
    title = title or f"Begehung am {fmt_date(at)}"
    version = "INTERN – enthält personenbezogene Daten, nicht weitergeben" if internal else "ohne personenbezogene Daten"

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_FONT, 7.2)
        canvas.setFillColor(_GREY)
        left = "Quartiersmonitor · Quartiersservice Wirtschaft · Laufzettel" + (f" {walk_id}" if walk_id else "")
        canvas.drawString(_MARGIN_X, 9 * mm, left)
        canvas.drawRightString(_PAGE_W - _MARGIN_X, 9 * mm, f"Stand {fmt_date(at)} · Seite {doc.page}")
        marks = ([settings.demo_label] if demo else []) + (["INTERN – personenbezogene Daten"] if internal else [])
        if marks:
            canvas.setFillColor(_RED)
            canvas.setFont(_BOLD, 7.2)
            canvas.drawString(_MARGIN_X, 5.5 * mm, " · ".join(marks))
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=_MARGIN_X, rightMargin=_MARGIN_X, topMargin=_MARGIN_TOP,
        bottomMargin=_MARGIN_BOTTOM, title=title, author="Quartiersmonitor", subject="Laufzettel Begehung",
        creator="Quartiersmonitor",
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=footer)])

    end_text = "zurück zum Start" if plan.round_trip else (plan.end.name if plan.end is not None else "am letzten Stopp")
    info = [
        f"{plan.summary}",
        f"Start: {plan.start.name} · Ende: {end_text} · Gehgeschwindigkeit {fmt_number(plan.speed_kmh, digits=1)} km/h, "
        f"{fmt_number(plan.minutes_per_visit)} min je Besuch"
        + (f", Zeitbudget {fmt_number(plan.time_budget_min)} min" if plan.time_budget_min else ""),
    ]
    story: list[Any] = [_p(title, st["title"])]
    story += [_p(line, st["info"]) for line in info]
    if plan.start_note:
        story.append(_p(plan.start_note, st["warn"]))
    if walk_id:
        story.append(_p(f"Begehung {walk_id} · Fassung: {version}", st["warn"] if internal else st["info"]))
    else:
        story.append(_p(f"Fassung: {version}", st["warn"] if internal else st["info"]))
    story.append(Spacer(1, 2.5 * mm))
    # the map takes the rest of page 1
    header = sum(f.wrap(doc.width, doc.height)[1] for f in story)
    height = min(doc.height - header - 3 * mm, 1.45 * _WIDTH)
    credit_lines = map_credits(at=at, network_credit=network_credit, streets=streets is not None and len(streets) > 0,
                               boundaries=boundaries)
    credit = _p(" · ".join(credit_lines), st["small"])
    marks = [_p(settings.demo_label, st["warn"])] if demo else []
    height -= sum(f.wrap(doc.width, doc.height)[1] for f in [credit, *marks]) + 2 * mm
    fig = walk_figure(plan, streets=streets, boundaries=boundaries, at=at, network_credit=network_credit, demo=demo,
                      figsize=(_WIDTH / 72, height / 72), credits=False)
    png = SM.figure_bytes(fig, fmt="png", dpi=220)
    story += [Image(io.BytesIO(png), width=_WIDTH, height=height), Spacer(1, 1.5 * mm), credit, *marks]
    story.append(PageBreak())

    story.append(_p("Stopps in Reihenfolge", st["h2"]))
    head = [_p(t, st["head"]) for t in ("Nr.", "Adresse", "Betrieb / Stand", "Was prüfen", "Notizen")]
    widths = [9 * mm, 47 * mm, 34 * mm, 47 * mm, _WIDTH - 137 * mm]
    table = Table([head, *_stop_rows(plan, st, internal=internal)], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), _HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, _RULE),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, _RULE),
                ("LINEBEFORE", (4, 1), (4, -1), 0.4, _RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 3.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story.append(table)
    via = f" über {' → '.join(plan.final_leg_streets)}" if plan.final_leg_streets else ""
    back = f"Zurück zum Start: {fmt_number(plan.final_leg_m)} m{via}." if plan.round_trip else ""
    if plan.end is not None and not plan.round_trip:
        back = f"Weiter zum Ziel ({plan.end.name}): {fmt_number(plan.final_leg_m)} m{via}."
    if back:
        story += [Spacer(1, 2 * mm), _p(back, st["info"])]
    if plan.dropped:
        story += [CondPageBreak(30 * mm), Spacer(1, 4 * mm), _p("Nicht eingeplant", st["h2"])]
        for d in plan.dropped:
            name = d.label if d.label and d.label != d.unit_id else ""
            heading = f"{name} ({d.unit_id})" if name else d.unit_id
            story.append(_markup([(heading, True), (d.ranking, False), (d.reason, False)], st["info"]))
            story.append(Spacer(1, 1.5 * mm))
    story += [
        Spacer(1, 4 * mm),
        _p(
            "Ergebnisse danach im Quartiersmonitor unter „Besuche erfassen“ eintragen (oder das GeoPackage aus "
            "QField hochladen). Nachfassen mit Datum erscheint in der Liste der fälligen Termine.",
            st["small"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


def write_walk_sheet(plan: WalkPlan, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write :func:`walk_sheet_pdf` to ``path`` (options as there)."""
    from geo._files import write_bytes  # atomic, normal file permissions

    path = Path(path)
    write_bytes(path, walk_sheet_pdf(plan, **options), prefix=".qm-walk-")
    return path
