"""The report as an A4 PDF in German (:func:`build_report`)."""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

import geopandas as gpd
import pandas as pd
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Frame, PageTemplate

from geo._files import write_bytes
from geo.errors import InputError
from geo.outputs import staticmaps as SM
from geo.outputs.report._appendix import _buildings_section, _methods_section
from geo.outputs.report._overview import _figures_section, _title_page
from geo.outputs.report._pdf import (
    _MARGIN_BOTTOM,
    _MARGIN_TOP,
    _MARGIN_X,
    _PAGE_H,
    _WIDTH,
    _canvas_class,
    _Context,
    _Doc,
    _furniture,
    _register_fonts,
    _styles,
)
from geo.outputs.report._quarter_pages import _quarter_sections
from geo.outputs.report.data import (
    _building_stats,
    _data_date,
    _for_version,
    _quarter_data,
    _quarter_notes,
    _resolve_quarters,
    _version_text,
)
from geo.outputs.report.graphics import _buildings_download, _quarter_figures
from geo.outputs.report.period import Period
from geo.register.history import Register
from geo.register.model import wants_internal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from geo.osm.buildings import BuildingStats
    from geo.osm.snapshots import Snapshots

__all__ = ["ReportSummary", "build_report"]


@dataclass
class _Rendered:
    pdf: bytes
    pages: int


def _render(ctx: _Context) -> _Rendered:
    _register_fonts()
    s = _styles()
    buffer = io.BytesIO()
    doc = _Doc(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN_X,
        rightMargin=_MARGIN_X,
        topMargin=_MARGIN_TOP,
        bottomMargin=_MARGIN_BOTTOM,
        title=("" if ctx.public else "INTERN – ")
        + f"Gewerbeleerstand und Standortentwicklung – {ctx.label} – {ctx.period.label}",
        author="Quartiersservice Wirtschaft (Quartiersmonitor)",
        subject=_version_text(ctx.public, ctx.unit_level),
        creator="Quartiersmonitor",
        lang="de-DE",
    )
    frame = Frame(
        _MARGIN_X,
        _MARGIN_BOTTOM,
        _WIDTH,
        _PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="title", frames=[frame], onPage=_furniture(ctx, title_page=True)),
            PageTemplate(id="body", frames=[frame], onPage=_furniture(ctx, title_page=False)),
        ]
    )
    story = _title_page(ctx, s) + _figures_section(ctx, s)
    for q in ctx.quarters:
        story += _quarter_sections(q, ctx, s)
    if ctx.buildings is not None:
        story += _buildings_section(ctx, s)
    story += _methods_section(ctx, s)
    pages: list[int] = []
    doc.build(story, canvasmaker=_canvas_class(pages))
    return _Rendered(buffer.getvalue(), pages[-1] if pages else 0)


@dataclass
class ReportSummary:
    """What :func:`build_report` made.

    Attributes
    ----------
    pages
        Number of pages of the PDF.
    quarters
        Quarters shown (display names; None for the whole register).
    period
        The period (its previous period: ``period.previous()``).
    public, unit_level, demo
        Version of the report, and whether the register is the fictional demo.
    figures
        Key figures (:func:`key_figures`) of every quarter, with a ``quarter`` column.
    notes
        German remarks (quarters without units or observations).
    seconds
        Time taken.
    """

    pages: int
    quarters: tuple[str | None, ...]
    period: Period
    public: bool
    unit_level: bool
    demo: bool
    figures: pd.DataFrame
    notes: list[str]
    seconds: float

    @property
    def internal(self) -> bool:
        """Whether this is the internal version (with personal data)."""
        return not self.public


def _write(data: bytes, out: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write to a path (atomically, normal permissions: :func:`geo._files.write_bytes`) or a file object."""
    write_bytes(out, data, prefix=".qm-report-")


def build_report(
    register: Register,
    *,
    quarter: str | list[str] | None,
    start: date,
    end: date,
    out: str | os.PathLike[str] | IO[bytes],
    internal: bool = False,
    public: bool | None = None,
    osm_buildings: BuildingStats | Snapshots | pd.DataFrame | None = None,
    period_label: str | None = None,
    unit_level: bool = False,
    streets: gpd.GeoDataFrame | None = None,
    dpi: int = 200,
    drawn: dict[str, tuple[Figure, bytes]] | None = None,
) -> ReportSummary:
    """Make the period report as an A4 PDF in German.

    Parameters
    ----------
    register
        The register (``store.read()``).
    quarter
        A quarter (display name or slug), a list of two shown side by side,
        or None for the whole register.
    start, end
        First and last day of the period (both included).
    out
        File path (replaced atomically) or binary file object. The name is used as
        given; the command line inserts ``-intern`` for the internal version.
    internal
        The internal version with owners and contacts (title, header and PDF
        metadata say "INTERN"). Default: the public version, no personal or
        internal data; vacancy only per street section (see the module
        documentation) unless ``unit_level``.
    public
        Deprecated spelling: ``public=False`` is ``internal=True``.
    osm_buildings
        Building-stock figures (:func:`geo.osm.buildings.building_stats`,
        :func:`geo.osm.buildings.analyse_folder`, or their ``table``) or snapshots
        (:func:`geo.osm.snapshots.load_snapshots`, or their ``frame``): adds the building-stock section.
    period_label
        Name of the period on the title page (default: „Jahr 2025“,
        „1. Halbjahr 2025“, „3. Quartal 2025“, „Juni 2025“ or the dates).
    unit_level
        Public version: show vacancy per unit anyway (without personal data).
    streets
        Street lines for the maps (:func:`geo.outputs.staticmaps.load_streets`, e.g.
        the cached OSM network); without, the maps show no streets.
    dpi
        Resolution of maps and charts in the PDF.
    drawn
        Receives every map and chart with its PNG at ``dpi``, keyed by file-name stem as
        :func:`geo.outputs.report.graphics.report_figures` names them (the app offers them for
        download without drawing them again).

    Returns
    -------
    ReportSummary
        Pages, key figures, remarks.

    Raises
    ------
    InputError
        Unknown quarter, more than two quarters, start after end, unusable
        building data, missing target folder.
    """
    t0 = time.perf_counter()
    public = not wants_internal(internal, public)
    register = _for_version(register, internal=not public)
    period = Period.between(start, end, label=period_label)
    if isinstance(out, (str, os.PathLike)) and not Path(out).parent.exists():
        raise InputError(f"Ordner {Path(out).parent} existiert nicht.")
    demo = register.meta.get("demo") == "true"
    names = _resolve_quarters(register, quarter)
    street_lines = SM.load_streets(streets) if streets is not None else None
    bstats = _building_stats(osm_buildings, register) if osm_buildings is not None else None
    quarters = [_quarter_data(register, name, period, public=public, unit_level=unit_level) for name in names]
    for q in quarters:
        q.figs = _quarter_figures(q, public=public, unit_level=unit_level, streets=street_lines, demo=demo)
    ctx = _Context(
        register=register,
        quarters=quarters,
        period=period,
        public=public,
        unit_level=unit_level,
        demo=demo,
        streets=street_lines is not None,
        buildings=bstats,
        dpi=dpi,
        data_date=_data_date(register, period.end),
    )
    rendered = _render(ctx)
    _write(rendered.pdf, out)
    if drawn is not None:
        drawn.update({f"{k}_{q.slug}": (q.figs[k], q.png(k, dpi)) for q in quarters for k in q.figs})
        if bstats is not None:
            fig = _buildings_download(bstats, quarters, period.end)
            drawn["gebaeudebestand"] = (fig, SM.figure_bytes(fig, fmt="png", dpi=dpi))
    return ReportSummary(
        pages=rendered.pages,
        quarters=tuple(names),
        period=period,
        public=public,
        unit_level=unit_level,
        demo=demo,
        figures=pd.concat([q.figures.assign(quarter=q.label) for q in quarters], ignore_index=True),
        notes=[n for q in quarters for n in _quarter_notes(q)],
        seconds=time.perf_counter() - t0,
    )
