"""The report's pages of one quarter: maps, development charts and tables."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, Spacer

from geo import settings
from geo.formats import display_text, fmt_date, fmt_int, fmt_months, fmt_pct, fmt_signed
from geo.outputs import staticmaps as SM
from geo.outputs.report._pdf import (
    _MARGIN_BOTTOM,
    _MARGIN_TOP,
    _PAGE_H,
    _WIDTH,
    _Context,
    _image,
    _num,
    _p,
    _table,
)
from geo.outputs.report.data import _Quarter
from geo.outputs.report.tables import _longest_table, _segment_table, _settlement_table, _street_table


def _quarter_sections(q: _Quarter, ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    p = q.period
    dpi = ctx.dpi
    story: list[Flowable] = [_p(f"{q.label}: Karten", s["H1"])]
    if ctx.aggregated:
        story.append(
            _p(
                f"Öffentliche Fassung: Leerstand zusammengefasst je Straßenabschnitt (Abschnitte von etwa "
                f"{settings.segment_length_m:.0f} m mit mindestens {settings.public_min_units} Einheiten, beide Straßenseiten); einzelne leere "
                "Einheiten werden nicht gezeigt.",
                s["small"],
            )
        )
    # both maps on one page when they fit at no less than 80 % of the text width
    ratio = sum(
        q.figs[k].get_size_inches()[1] / q.figs[k].get_size_inches()[0]
        for k in ("karte_bestand", "karte_veraenderung")
    )
    room = _PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM - (40 if ctx.aggregated else 32) * mm
    width = (
        _WIDTH
        if ratio * _WIDTH <= room
        else max(room / ratio, 0.8 * _WIDTH)
        if room / ratio >= 0.8 * _WIDTH
        else _WIDTH
    )
    story += [
        _image(q.figs["karte_bestand"], dpi=dpi, width=width, png=q.png("karte_bestand", dpi)),
        Spacer(1, 3 * mm),
    ]
    story += [
        KeepTogether(
            [
                _p(f"{q.label}: Veränderungen im Zeitraum", s["H2"]),
                _image(q.figs["karte_veraenderung"], dpi=dpi, width=width, png=q.png("karte_veraenderung", dpi)),
            ]
        )
    ]
    counts = q.compared["change"].astype(str).value_counts() if len(q.compared) else pd.Series(dtype=int)
    change_rows = [[cls.label, fmt_int(counts.get(cls.code, 0))] for cls in SM.CHANGE_CLASSES]
    story += [
        Spacer(1, 2 * mm),
        KeepTogether(
            [
                _table(
                    [f"Einheiten {fmt_date(p.before)} → {fmt_date(p.end)}", "Anzahl"],
                    change_rows,
                    [80, 25],
                    s,
                    right=(1,),
                ),
                _p(
                    "neu leer: am Ende leer oder vermutlich leer, am Anfang nicht; neu genutzt: am Ende genutzt, am Anfang nicht; "
                    "andere Änderung: z. B. zu Sanierung/Umbau oder entfallen.",
                    s["small"],
                ),
            ]
        ),
        PageBreak(),
    ]
    story += [
        _p(f"{q.label}: Entwicklung", s["H1"]),
        _image(q.figs["leerstandsquote"], dpi=dpi, png=q.png("leerstandsquote", dpi)),
        Spacer(1, 4 * mm),
        _image(q.figs["ansiedlungen"], dpi=dpi, png=q.png("ansiedlungen", dpi)),
        _p(
            "Balken: Neuansiedlungen und Schließungen je Kalenderjahr (das letzte Jahr bis zum Stichtag); Raute: Saldo.",
            s["caption"],
        ),
        PageBreak(),
        _image(q.figs["branchen"], dpi=dpi, png=q.png("branchen", dpi)),
        Spacer(1, 4 * mm),
        _image(q.figs["leerstandsdauer"], dpi=dpi, png=q.png("leerstandsdauer", dpi)),
        _p(
            "Dauer der am Stichtag laufenden Leerstände (bis zum Stichtag gemessen) und der im Zeitraum beendeten.",
            s["caption"],
        ),
        PageBreak(),
    ]
    story.append(_p(f"{q.label}: Tabellen", s["H1"]))
    story += _longest_flowables(q, ctx, s)
    story += _settlement_flowables(q, s)
    story += _street_flowables(q, ctx, s)
    story.append(PageBreak())
    return story


def _longest_flowables(q: _Quarter, ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    end = fmt_date(q.period.end)
    if ctx.aggregated:
        table = _segment_table(q).head(20)
        head = _p(f"Leerstand nach Straßenabschnitten am {end}", s["H2"])
        if not len(table):
            return [head, _p(f"Keine Straßenabschnitte mit mindestens {settings.public_min_units} Einheiten.", s["body"])]
        rows = [
            [
                r["Straßenabschnitt"],
                r["Ortsteil"],
                fmt_int(r["Einheiten"]),
                fmt_int(r["leer"]),
                fmt_pct(r["Leerstandsquote"]),
                fmt_months(r["Median Leerstandsdauer (Tage)"]),
            ]
            for _, r in table.iterrows()
        ]
        return [
            head,
            _table(
                ["Straßenabschnitt", "Ortsteil", "Einheiten", "leer", "Quote", "Median-Dauer"],
                rows,
                [56, 40, 18, 14, 20, 26],
                s,
                right=(2, 3, 4, 5),
            ),
            _p(
                f"Die {len(table)} Abschnitte mit der höchsten Leerstandsquote; Abschnitte mit weniger als {settings.public_min_units} "
                "Einheiten sind nicht aufgeführt. Einzelne leere Einheiten werden in der öffentlichen Fassung nicht genannt.",
                s["caption"],
            ),
        ]
    table = _longest_table(q, public=ctx.public, n=15)
    head = _p(f"Am längsten leerstehende Einheiten am {end}", s["H2"])
    if not len(table):
        return [head, _p("Keine leerstehenden Einheiten am Stichtag.", s["body"])]
    rows = []
    for _, r in table.iterrows():
        address = Paragraph(
            f"{escape(display_text(r['Adresse']))}<br/><font size=7 color='#5a5a5a'>"
            f"{escape(display_text(r['Ortsteil']))} · {escape(display_text(r['Status']))}</font>",
            s["cell"],
        )
        area = "–" if pd.isna(r["Fläche (m²)"]) else f"{fmt_int(r['Fläche (m²)'])} m²"
        row = [address, fmt_date(r["leer seit"]), _num(r["Dauer (Monate)"], digits=1), area]
        if not ctx.public:
            contact = "<br/>".join(
                escape(str(v))
                for v in (r["Ansprechperson"], r["Telefon"], r["E-Mail"])
                if v is not None and not pd.isna(v) and str(v).strip()
            )
            row += [
                _p(
                    r["Eigentümer/in"]
                    if r["Eigentümer/in"] is not None and not pd.isna(r["Eigentümer/in"])
                    else "–",
                    s["cell"],
                ),
                Paragraph(contact or "–", s["cell"]),
            ]
        rows.append(row)
    if ctx.public:
        flow = _table(
            ["Adresse", "leer seit", "Monate", "Fläche"], rows, [88, 30, 26, 30], s, right=(1, 2, 3)
        )
    else:
        flow = _table(
            ["Adresse", "leer seit", "Mon.", "Fläche", "Eigentümer/in", "Ansprechperson, Kontakt"],
            rows,
            [41, 18.5, 11.5, 16, 41, 46],
            s,
            right=(1, 2, 3),
        )
    return [
        head,
        flow,
        _p(
            f"Die {len(table)} Einheiten mit dem längsten laufenden Leerstand (leer oder vermutlich leer); "
            "„leer seit“: Beginn des Leerstands.",
            s["caption"],
        ),
    ]


def _settlement_flowables(q: _Quarter, s: dict[str, ParagraphStyle], *, limit: int = 40) -> list[Flowable]:
    table = _settlement_table(q)
    head = _p(f"Neuansiedlungen im Zeitraum ({q.period.dates})", s["H2"])
    if not len(table):
        return [CondPageBreak(30 * mm), head, _p("Keine Neuansiedlungen im Zeitraum.", s["body"])]
    rows = [
        [
            fmt_date(r["Datum"]),
            r["Betrieb"] if r["Betrieb"] is not None and not pd.isna(r["Betrieb"]) else "–",
            r["Branche"],
            f"{r['Adresse']}"
            + (f" ({r['Ortsteil']})" if r["Ortsteil"] and not pd.isna(r["Ortsteil"]) else ""),
        ]
        for _, r in table.head(limit).iterrows()
    ]
    out: list[Flowable] = [
        CondPageBreak(40 * mm),
        head,
        _table(["Datum", "Betrieb", "Branche", "Adresse"], rows, [20, 50, 40, 64], s),
    ]
    if len(table) > limit:
        out.append(
            _p(
                f"… und {len(table) - limit} weitere; die vollständige Liste enthält die XLSX-Datei.",
                s["caption"],
            )
        )
    else:
        out.append(Spacer(1, 3 * mm))
    return out


def _street_flowables(
    q: _Quarter, ctx: _Context, s: dict[str, ParagraphStyle], *, limit: int = 20
) -> list[Flowable]:
    table = _street_table(q)
    head = _p(f"Straßen nach Leerstandsquote am {fmt_date(q.period.end)}", s["H2"])
    if not len(table):
        return [
            CondPageBreak(30 * mm),
            head,
            _p(f"Keine Straße mit mindestens {settings.public_min_units} Einheiten.", s["body"]),
        ]
    rows = []
    for rank, (_, r) in enumerate(table.head(limit).iterrows(), start=1):
        delta = (r["Leerstandsquote"] - r["Leerstandsquote Vorperiode"]) * 100
        rows.append(
            [
                str(rank),
                r["Straße"],
                fmt_int(r["Einheiten"]),
                fmt_int(r["leer"]),
                fmt_pct(r["Leerstandsquote"]),
                (fmt_signed(delta, digits=1, unit="Pp.") or "–").replace("-", "−"),
                fmt_int(r["Neuansiedlungen"]),
            ]
        )
    return [
        CondPageBreak(50 * mm),
        head,
        _table(
            ["Rang", "Straße", "Einheiten", "leer", "Quote", "Veränderung", "Neuansiedl."],
            rows,
            [12, 56, 20, 16, 22, 26, 22],
            s,
            right=(0, 2, 3, 4, 5, 6),
        ),
        _p(
            f"Straßen mit mindestens {settings.public_min_units} Einheiten mit bekanntem Status; Veränderung der Quote gegenüber "
            f"{fmt_date(q.period.before)}; Neuansiedlungen im Zeitraum.",
            s["caption"],
        ),
    ]
