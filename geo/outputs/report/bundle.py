"""For the app: PDF, XLSX and every figure of one report, its key figures as text, a preview."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.outputs import figures as F
from geo.outputs.report.data import format_change, format_value
from geo.outputs.report.document import ReportSummary, build_report
from geo.outputs.report.xlsx import period_figures_xlsx
from geo.register.history import Register
from geo.register.model import wants_internal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from geo.osm.buildings import BuildingStats
    from geo.osm.snapshots import Snapshots

__all__ = ["ReportBundle", "display_png", "preview_pages", "report_bundle", "summary_table"]

#: Widest image shown on a page (px): Streamlit shrinks a wider PNG again on every run (beyond 1,460 px).
DISPLAY_WIDTH = 1200


@dataclass
class ReportBundle:
    """Everything the app offers for download for one report.

    Attributes
    ----------
    pdf
        The report (:func:`build_report`).
    xlsx
        The period figures (:func:`geo.outputs.report.xlsx.period_figures_xlsx`).
    images
        PNG (200 dpi) and SVG of every map and chart, by file-name stem (:func:`report_figures`).
    summary
        The report's summary (its ``seconds``: the PDF alone).
    seconds
        Time taken for all of it: PDF, XLSX and the images.
    """

    pdf: bytes
    xlsx: bytes
    images: dict[str, tuple[bytes, bytes]]
    summary: ReportSummary
    seconds: float = 0.0


def report_bundle(
    register: Register,
    *,
    quarter: str | list[str] | None,
    start: date,
    end: date,
    internal: bool = False,
    public: bool | None = None,
    unit_level: bool = False,
    osm_buildings: BuildingStats | Snapshots | pd.DataFrame | None = None,
) -> ReportBundle:
    """PDF, XLSX and every figure as PNG and SVG for one choice (parameters as in :func:`build_report`).

    The figures are drawn once: the PNGs of the PDF are the downloads (as :func:`report_figures` makes them).
    """
    t0 = time.perf_counter()
    pdf, xlsx = io.BytesIO(), io.BytesIO()
    options: dict[str, Any] = {
        "quarter": quarter,
        "start": start,
        "end": end,
        "internal": wants_internal(internal, public),
        "unit_level": unit_level,
    }
    drawn: dict[str, tuple[Figure, bytes]] = {}
    summary = build_report(register, out=pdf, osm_buildings=osm_buildings, drawn=drawn, **options)
    period_figures_xlsx(register, out=xlsx, **options)
    images = {name: (png, F.figure_bytes(fig, fmt="svg")) for name, (fig, png) in drawn.items()}
    return ReportBundle(pdf.getvalue(), xlsx.getvalue(), images, summary, time.perf_counter() - t0)


def summary_table(summary: ReportSummary) -> pd.DataFrame:
    """The key figures of a report as text, one column pair (value, change) per quarter."""
    frame = summary.figures
    table = pd.DataFrame({"Kennzahl": list(dict.fromkeys(frame["label"]))})
    for quarter, part in frame.groupby("quarter", sort=False):
        table[f"{quarter}"] = [format_value(r.value, r.kind) for r in part.itertuples()]
        table[f"{quarter}: Veränderung"] = [format_change(r.change, r.kind) for r in part.itertuples()]
    return table


def display_png(png: bytes, *, width: int = DISPLAY_WIDTH) -> bytes:
    """``png`` no wider than ``width`` pixels, for showing on a page (the 200 dpi original stays the download)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        if image.width <= width:
            return png
        small = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def preview_pages(pdf: bytes, *, pages: int = 2, scale: float = 1.4) -> list[bytes]:
    """The first ``pages`` pages of a PDF as PNG (needs the optional package ``pypdfium2``; else empty)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return []
    doc = pdfium.PdfDocument(pdf)
    out = []
    for i in range(min(pages, len(doc))):
        buffer = io.BytesIO()
        doc[i].render(scale=scale).to_pil().save(buffer, format="PNG")
        out.append(buffer.getvalue())
    return out
