"""PDF plumbing of the report (reportlab): fonts, styles, page furniture, tables, boxes, images."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Image,
    Paragraph,
    Table,
    TableStyle,
)

from geo import settings
from geo.formats import display_text
from geo.outputs import staticmaps as SM
from geo.outputs.report.data import PUBLISHER, _Quarter
from geo.outputs.report.period import Period
from geo.register.history import Register

_FONT, _BOLD, _ITALIC = "QM-Sans", "QM-Sans-Bold", "QM-Sans-Oblique"
_INK = colors.HexColor("#1b1b1b")
_BLUE = colors.HexColor("#1d3557")
_GREY = colors.HexColor("#5a5a5a")
_RED = colors.HexColor("#c0392b")
_RULE = colors.HexColor("#b8c2cc")
_HEAD_BG = colors.HexColor("#e6edf4")
_ZEBRA = colors.HexColor("#f5f7f9")
_PAGE_W, _PAGE_H = A4
_MARGIN_X, _MARGIN_TOP, _MARGIN_BOTTOM = 18 * mm, 21 * mm, 22 * mm
_WIDTH = _PAGE_W - 2 * _MARGIN_X


def _register_fonts() -> None:
    """DejaVu Sans from matplotlib's own data (always installed, covers every character we print)."""
    if _FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(_FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(_ITALIC, str(folder / "DejaVuSans-Oblique.ttf")))
    pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=_BOLD, italic=_ITALIC, boldItalic=_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=13.2, textColor=_INK, spaceAfter=5)
    return {
        "body": body,
        "small": ParagraphStyle(
            "small", parent=body, fontSize=8, leading=10.6, textColor=_GREY, spaceAfter=3
        ),
        "caption": ParagraphStyle(
            "caption", parent=body, fontSize=8, leading=10.6, textColor=_GREY, spaceBefore=2, spaceAfter=8
        ),
        "H1": ParagraphStyle(
            "H1",
            parent=body,
            fontName=_BOLD,
            fontSize=17,
            leading=21,
            textColor=_BLUE,
            spaceAfter=9,
            keepWithNext=1,
        ),
        "H2": ParagraphStyle(
            "H2",
            parent=body,
            fontName=_BOLD,
            fontSize=12,
            leading=15,
            textColor=_BLUE,
            spaceBefore=9,
            spaceAfter=5,
        ),
        "term": ParagraphStyle("term", parent=body, fontName=_BOLD, spaceAfter=0, keepWithNext=1),
        "def": ParagraphStyle("def", parent=body, leftIndent=5 * mm, spaceAfter=5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0, alignment=TA_LEFT),
        "cell_r": ParagraphStyle(
            "cell_r", parent=body, fontSize=8, leading=10, spaceAfter=0, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle("head", parent=body, fontName=_BOLD, fontSize=8, leading=10, spaceAfter=0),
        "head_r": ParagraphStyle(
            "head_r", parent=body, fontName=_BOLD, fontSize=8, leading=10, spaceAfter=0, alignment=TA_RIGHT
        ),
        "fig": ParagraphStyle("fig", parent=body, fontName=_BOLD, fontSize=11, leading=14, spaceAfter=2),
        "fig_r": ParagraphStyle(
            "fig_r", parent=body, fontName=_BOLD, fontSize=11, leading=14, spaceAfter=0, alignment=TA_RIGHT
        ),
        "title_kicker": ParagraphStyle(
            "tk", parent=body, fontSize=11, leading=14, textColor=_GREY, spaceAfter=18
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName=_BOLD, fontSize=26, leading=31, textColor=_BLUE, spaceAfter=10
        ),
        "title_sub": ParagraphStyle("ts", parent=body, fontName=_BOLD, fontSize=17, leading=22, spaceAfter=6),
        "title_period": ParagraphStyle(
            "tp", parent=body, fontSize=13, leading=17, textColor=_GREY, spaceAfter=16
        ),
        "box": ParagraphStyle("box", parent=body, fontSize=9.5, leading=13, spaceAfter=0),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: business names and addresses are user input; missing -> empty)."""
    return Paragraph(escape(display_text(text)), style)


class _Doc(BaseDocTemplate):  # type: ignore[misc]  # reportlab ships no type information
    """Adds every H1/H2 heading to the PDF outline (bookmarks)."""

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's hook name
        if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
            level = 0 if flowable.style.name == "H1" else 1
            if level == 0:
                self._qm_h1 = True
            elif not getattr(self, "_qm_h1", False):
                return  # the title page's headings are not in the outline
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=level > 0)


def _canvas_class(pages: list[int]) -> type[Canvas]:
    """A canvas that writes „Seite x von y“ once the page count is known."""

    class _Numbered(Canvas):  # type: ignore[misc]  # reportlab ships no type information
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._states: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._states.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._states)
            pages.append(total)
            for state in self._states:
                self.__dict__.update(state)
                self.setFont(_FONT, 7.5)
                self.setFillColor(_GREY)
                self.drawRightString(_PAGE_W - _MARGIN_X, 11 * mm, f"Seite {self._pageNumber} von {total}")
                super().showPage()
            super().save()

    return _Numbered


@dataclass
class _Context:
    register: Register
    quarters: list[_Quarter]
    period: Period
    public: bool
    unit_level: bool
    demo: bool
    streets: bool
    buildings: pd.DataFrame | None
    dpi: int
    data_date: date | None

    @property
    def label(self) -> str:
        if len(self.quarters) == 1:
            return self.quarters[0].label
        return " und ".join(q.label for q in self.quarters)

    @property
    def aggregated(self) -> bool:
        return self.public and not self.unit_level


def _furniture(ctx: _Context, *, title_page: bool) -> Any:
    def draw(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        if not title_page:
            canvas.setFont(_FONT, 7.5)
            canvas.setFillColor(_GREY)
            canvas.drawString(
                _MARGIN_X, _PAGE_H - 12 * mm, f"Quartiersmonitor · {ctx.label} · {ctx.period.label}"
            )
            canvas.setFont(_BOLD, 7.5)
            if ctx.public:
                canvas.drawRightString(_PAGE_W - _MARGIN_X, _PAGE_H - 12 * mm, "Öffentliche Fassung")
            else:
                canvas.setFillColor(_RED)
                canvas.drawRightString(
                    _PAGE_W - _MARGIN_X,
                    _PAGE_H - 12 * mm,
                    "INTERN – enthält personenbezogene Daten, nicht zur Weitergabe",
                )
            canvas.setStrokeColor(_RULE)
            canvas.setLineWidth(0.5)
            canvas.line(_MARGIN_X, _PAGE_H - 13.8 * mm, _PAGE_W - _MARGIN_X, _PAGE_H - 13.8 * mm)
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(_MARGIN_X, 14.5 * mm, _PAGE_W - _MARGIN_X, 14.5 * mm)
        canvas.setFont(_FONT, 7.5)
        canvas.setFillColor(_GREY)
        canvas.drawString(_MARGIN_X, 11 * mm, PUBLISHER)
        if ctx.demo:
            canvas.setFont(_BOLD, 8.5)
            canvas.setFillColor(_RED)
            canvas.drawCentredString(
                _PAGE_W / 2,
                16.5 * mm,
                f"{settings.demo_label} – alle Betriebe, Adressen und Personen sind erfunden",
            )
        canvas.restoreState()

    return draw


def _image(fig: Figure, *, dpi: int, width: float = _WIDTH, png: bytes | None = None) -> Image:
    """``fig`` as an image ``width`` wide; ``png``: the figure already drawn at ``dpi`` (not drawn again)."""
    buffer = io.BytesIO(png if png is not None else SM.figure_bytes(fig, fmt="png", dpi=dpi))
    w_in, h_in = fig.get_size_inches()
    return Image(buffer, width=width, height=width * h_in / w_in)


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths_mm: Sequence[float],
    s: dict[str, ParagraphStyle],
    *,
    right: Sequence[int] = (),
    header_rows: int = 1,
    extra_style: Sequence[tuple[Any, ...]] = (),
    font_size: float = 8.0,
) -> Table:
    """A table with a bold header (repeated on every page), zebra rows and wrapped cells."""
    if font_size != 8.0:
        lead = font_size * 1.28
        s = {
            **s,
            **{
                k: ParagraphStyle(f"{k}{font_size}", parent=s[k], fontSize=font_size, leading=lead)
                for k in ("cell", "cell_r", "head", "head_r")
            },
        }
    right_set = set(right)
    data: list[list[Any]] = [[_p(h, s["head_r" if i in right_set else "head"]) for i, h in enumerate(header)]]
    for row in rows:
        data.append(
            [
                c if isinstance(c, Flowable) else _p(c, s["cell_r" if i in right_set else "cell"])
                for i, c in enumerate(row)
            ]
        )
    table = Table(data, colWidths=[w * mm for w in widths_mm], repeatRows=header_rows, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), _HEAD_BG),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, _BLUE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 3.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3.5),
    ]
    for i in range(header_rows, len(data)):
        if (i - header_rows) % 2 == 1:
            style.append(("BACKGROUND", (0, i), (-1, i), _ZEBRA))
    table.setStyle(TableStyle(style + list(extra_style)))
    return table


def _box(flowables: list[Flowable], *, color: colors.Color, background: colors.Color | None = None) -> Table:
    table = Table([[flowables]], colWidths=[_WIDTH], hAlign="LEFT")
    style = [
        ("BOX", (0, 0), (-1, -1), 1.0, color),
        ("LEFTPADDING", (0, 0), (-1, -1), 7),
        ("RIGHTPADDING", (0, 0), (-1, -1), 7),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]
    if background is not None:
        style.append(("BACKGROUND", (0, 0), (-1, -1), background))
    table.setStyle(TableStyle(style))
    return table


def _num(value: Any, *, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):,.{digits}f}".replace(",", "X").replace(".", ",").replace("X", ".")
