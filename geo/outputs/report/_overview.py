"""The report's opening pages: title page with sources and licences, key figures with the change."""

from __future__ import annotations

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, NextPageTemplate, PageBreak, Spacer

from geo import settings
from geo.dates import local_today
from geo.formats import fmt_date, fmt_int, fmt_pct
from geo.outputs import staticmaps as SM
from geo.outputs.report._pdf import _BLUE, _BOLD, _HEAD_BG, _RED, _RULE, _box, _Context, _p, _table
from geo.outputs.report.data import (
    FIGURES,
    PUBLISHER,
    _Quarter,
    _quarter_notes,
    format_change,
    format_value,
)
from geo.outputs.report.tables import _ortsteil_table


def _sources(ctx: _Context) -> list[tuple[str, str]]:
    register_line = "Register des Quartiersservice Wirtschaft (Quartiersmonitor)"
    if ctx.data_date is not None:
        register_line += f", letzte Beobachtung vom {fmt_date(ctx.data_date)}"
    if ctx.demo:
        register_line += f" – {settings.demo_label}"
    rows = [("Gewerbeeinheiten", register_line)]
    credit = SM.boundary_credit(ctx.quarters[0].boundaries)
    if credit:
        rows.append(("Ortsteilgrenzen", credit))
    osm_uses = [
        what
        for what, used in (("Straßennetz", ctx.streets), ("Gebäudebestand", ctx.buildings is not None))
        if used
    ]
    if osm_uses:
        rows.append(("OpenStreetMap", f"{SM.OSM_CREDIT} ({', '.join(osm_uses)})"))
    rows.append(("Karten", f"eigene Darstellung in ETRS89 / UTM 33N (EPSG:25833), {SM.NO_BASEMAP}"))
    return rows


def _title_page(ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    period, prev = ctx.period, ctx.period.previous()
    subtitle = ctx.label if len(ctx.quarters) == 1 else f"{ctx.label} im Vergleich"
    story: list[Flowable] = [
        Spacer(1, 6 * mm),
        _p(
            "Quartiersmonitor · Bericht für Beirat und Stadt"
            if ctx.public
            else "Quartiersmonitor · INTERNER Bericht – nicht zur Weitergabe",
            s["title_kicker"],
        ),
        _p("Gewerbeleerstand und Standortentwicklung", s["title"]),
        _p(subtitle, s["title_sub"]),
        _p(f"{period.label} ({period.dates})", s["title_period"]),
    ]
    if ctx.public:
        version = [
            _p("Öffentliche Fassung", ParagraphStyle("v", parent=s["box"], fontName=_BOLD)),
            _p(
                "Ohne personenbezogene Daten. "
                + (
                    "Leerstand wird je Einheit gezeigt (freigegeben)."
                    if ctx.unit_level
                    else f"Leerstand wird nur zusammengefasst je Straßenabschnitt (ab {settings.public_min_units} Einheiten) gezeigt."
                ),
                s["box"],
            ),
        ]
        story.append(_box(version, color=_BLUE))
    else:
        version = [
            _p(
                "Interne Fassung – nicht zur Weitergabe",
                ParagraphStyle("v", parent=s["box"], fontName=_BOLD, textColor=_RED),
            ),
            _p(
                "Enthält personenbezogene Daten (Eigentümer, Ansprechpersonen, Kontaktdaten). "
                "Für Beirat und Öffentlichkeit die öffentliche Fassung verwenden.",
                s["box"],
            ),
        ]
        story.append(_box(version, color=_RED))
    if ctx.demo:
        story += [
            Spacer(1, 3 * mm),
            _box(
                [
                    _p(
                        settings.demo_label,
                        ParagraphStyle("d", parent=s["box"], fontName=_BOLD, textColor=_RED),
                    ),
                    _p(
                        "Dieser Bericht zeigt das fiktive Demo-Register: alle Betriebe, Adressen, Personen und Zahlen "
                        "sind erfunden. Nur die Straßennamen sind echt.",
                        s["box"],
                    ),
                ],
                color=_RED,
                background=colors.HexColor("#fdf0ee"),
            ),
        ]
    rows = [
        ("Zeitraum", f"{period.label}: {period.dates}"),
        ("Vergleichszeitraum", f"{prev.label}: {prev.dates}"),
        ("Stichtag der Bestandszahlen", fmt_date(period.end)),
        ("Datenstand", "–" if ctx.data_date is None else f"letzte Beobachtung vom {fmt_date(ctx.data_date)}"),
        ("Erstellt am", fmt_date(local_today())),
        ("Herausgeber", PUBLISHER.replace(" · ", ", ")),
    ]
    story += [
        Spacer(1, 6 * mm),
        _table(["Angabe", ""], rows, [55, 119], s),
        Spacer(1, 3 * mm),
        _p("Datenquellen und Lizenzen", s["H2"]),
        _table(["Daten", "Quelle, Lizenz"], _sources(ctx), [40, 134], s),
    ]
    contents = ["Kennzahlen mit Vergleich zur Vorperiode"]
    for q in ctx.quarters:
        contents.append(f"{q.label}: Karten, Entwicklung, Tabellen")
    if ctx.buildings is not None:
        contents.append("Gebäudebestand nach OpenStreetMap")
    contents.append("Methodik, Definitionen und Hinweise")
    story += [Spacer(1, 2 * mm), _p("Inhalt", s["H2"])]
    story += [
        _p(f"{i}. {c}", ParagraphStyle("toc", parent=s["body"], spaceAfter=1))
        for i, c in enumerate(contents, start=1)
    ]
    return [*story, NextPageTemplate("body"), PageBreak()]


def _figures_section(ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    period, prev = ctx.period, ctx.period.previous()
    story: list[Flowable] = [_p("Kennzahlen", s["H1"])]
    story.append(
        _p(
            f"Bestandszahlen am {fmt_date(period.end)}, Neuansiedlungen und Schließungen im Zeitraum {period.dates}. "
            f"Veränderung gegenüber der Vorperiode ({prev.label}, {prev.dates}): Bestandszahlen am "
            f"{fmt_date(prev.end)}, Ereignisse im gleich langen Zeitraum davor.",
            s["body"],
        )
    )
    if len(ctx.quarters) == 1:
        q = ctx.quarters[0]
        header = [
            "Kennzahl",
            period.label,
            f"Vorperiode: {prev.label}",
            "Veränderung",
        ]
        rows = [
            [
                r.label,
                format_value(r.value, r.kind),
                format_value(r.previous, r.kind),
                format_change(r.change, r.kind),
            ]
            for r in q.figures.itertuples()
        ]
        table = _table(header, rows, [72, 32, 36, 34], s, right=(1, 2, 3), font_size=10)
    else:
        header = ["Kennzahl"]
        for q in ctx.quarters:
            header += [q.label, ""]
        sub = [""] + [period.label, "Veränderung"] * len(ctx.quarters)
        rows = [sub]
        for i, (_, label, kind) in enumerate(FIGURES):
            row = [label]
            for q in ctx.quarters:
                r = q.figures.iloc[i]
                row += [format_value(r["value"], kind), format_change(r["change"], kind)]
            rows.append(row)
        spans = [("SPAN", (1 + 2 * j, 0), (2 + 2 * j, 0)) for j in range(len(ctx.quarters))]
        table = _table(
            header,
            rows,
            [66, 27, 27, 27, 27],
            s,
            right=(1, 2, 3, 4),
            header_rows=2,
            font_size=9.5,
            extra_style=[
                *spans,
                ("BACKGROUND", (0, 1), (-1, 1), _HEAD_BG),
                ("LINEAFTER", (2, 0), (2, -1), 0.5, _RULE),
            ],
        )
    story += [table, Spacer(1, 2 * mm)]
    story.append(
        _p(
            "Leerstehend: leer und vermutlich leer. Leerstandsquote: leerstehende Einheiten je Einheit mit bekanntem "
            "Status (ohne entfallene). Leerstandsdauer in Monaten (Tage / 30,4375). Pp.: Prozentpunkte. "
            "Definitionen im Abschnitt „Methodik“.",
            s["small"],
        )
    )
    story.append(_p("Auf einen Blick", s["H2"]))
    for q in ctx.quarters:
        story.append(_p(_summary_sentence(q), s["body"]))
    for note in (n for q in ctx.quarters for n in _quarter_notes(q)):
        story.append(_p(note, s["small"]))
    for q in ctx.quarters:
        story.append(CondPageBreak(60 * mm))
        story.append(_p(f"Ortsteile: {q.label}" if q.name else "Ortsteile", s["H2"]))
        story.append(_ortsteil_flowable(q, ctx, s))
    story.append(PageBreak())
    return story


def _summary_sentence(q: _Quarter) -> str:
    f = q.figures.set_index("key")
    p = q.period
    if q.empty or pd.isna(f.loc["vacancy_rate", "value"]):
        return f"{q.label}: am {fmt_date(p.end)} keine Einheiten mit bekanntem Status."
    rate_prev = f.loc["vacancy_rate", "previous"]
    prev_text = "" if pd.isna(rate_prev) else f"; Vorperiode {fmt_pct(rate_prev)}"
    return (
        f"{q.label}: Am {fmt_date(p.end)} standen {fmt_int(f.loc['vacant', 'value'])} von "
        f"{fmt_int(f.loc['units', 'value'])} Gewerbeeinheiten leer (Leerstandsquote {fmt_pct(f.loc['vacancy_rate', 'value'])}"
        f"{prev_text}). Im Zeitraum gab es {fmt_int(f.loc['new_settlements', 'value'])} Neuansiedlungen und "
        f"{fmt_int(f.loc['closures', 'value'])} Schließungen (Saldo {format_value(f.loc['net_settlements', 'value'], 'signed')})."
    )


def _ortsteil_flowable(q: _Quarter, ctx: _Context, s: dict[str, ParagraphStyle]) -> Flowable:
    table = _ortsteil_table(q, public=ctx.public)
    if not len(table):
        return _p("Keine Einheiten.", s["body"])
    rows = [
        [
            r["Ortsteil"],
            fmt_int(r["Einheiten"]),
            fmt_int(r["leer"]),
            fmt_pct(r["Leerstandsquote"]),
            fmt_pct(r["Leerstandsquote Fläche"]),
            fmt_int(r["Neuansiedlungen"]),
            fmt_int(r["Schließungen"]),
        ]
        for _, r in table.iterrows()
    ]
    flow = _table(
        ["Ortsteil", "Einheiten", "leer", "Quote", "Quote Fläche", "Neuansiedl.", "Schließ."],
        rows,
        [52, 20, 17, 21, 24, 22, 18],
        s,
        right=(1, 2, 3, 4, 5, 6),
    )
    if ctx.public and (table["Einheiten"] < settings.public_min_units).any():
        return KeepTogether(
            [
                flow,
                _p(
                    f"Ortsteile mit weniger als {settings.public_min_units} Einheiten: Leerstand nicht ausgewiesen (–).",
                    s["small"],
                ),
            ]
        )
    return flow
