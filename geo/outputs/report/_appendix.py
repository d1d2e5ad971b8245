"""The report's closing pages: building stock from OpenStreetMap, methods, definitions and notes."""

from __future__ import annotations

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer

from geo import settings
from geo.formats import fmt_date, fmt_int, fmt_pct, fmt_signed
from geo.outputs import figures as F
from geo.outputs import staticmaps as SM
from geo.outputs.report._overview import _sources
from geo.outputs.report._pdf import (
    _BOLD,
    _RED,
    _box,
    _Context,
    _image,
    _p,
    _table,
)
from geo.outputs.report.data import _building_rows, _Quarter, _quarter_areas
from geo.places.attribution import BOUNDARY_ATTRIBUTION, BOUNDARY_LICENCE_URL, OFFICIAL_SOURCE


def _buildings_section(ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    from geo.osm.buildings import CAVEAT

    assert ctx.buildings is not None
    story: list[Flowable] = [
        _p("Gebäudebestand nach OpenStreetMap", s["H1"]),
        _box(
            [_p("Hinweis", ParagraphStyle("c", parent=s["box"], fontName=_BOLD)), _p(CAVEAT, s["box"])],
            color=colors.HexColor("#e69f00"),
            background=colors.HexColor("#fff8e8"),
        ),
        Spacer(1, 4 * mm),
    ]
    for q in ctx.quarters:
        areas = _quarter_areas(q.name, q.boundaries)
        data = _building_rows(ctx.buildings, areas, ctx.period.end)
        story += [CondPageBreak(70 * mm), _p(f"{q.label}" if q.name else "Alle Ortsteile", s["H2"])]
        if not len(data):
            story.append(
                _p(f"Keine OSM-Schnappschüsse bis {fmt_date(ctx.period.end)} für diese Ortsteile.", s["body"])
            )
            continue
        days = sorted(pd.to_datetime(data["date"]).unique())
        first, last = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
        rows = []
        for group, frame in data.groupby("group", sort=True):
            frame = frame.assign(date=pd.to_datetime(frame["date"])).sort_values("date")
            a, b = frame.iloc[0], frame.iloc[-1]
            later = frame.iloc[1:]
            rows.append(
                [
                    group,
                    fmt_int(a["buildings"]),
                    fmt_int(b["buildings"]),
                    fmt_signed(float(b["buildings"]) - float(a["buildings"])) or "–",
                    fmt_int(a["commercial"]),
                    fmt_int(b["commercial"]),
                    fmt_int(pd.to_numeric(later["added"]).sum()),
                    fmt_int(pd.to_numeric(later["removed"]).sum()),
                ]
            )
        story += [
            _table(
                [
                    "Ortsteil",
                    f"Gebäude {first:%Y}",
                    f"Gebäude {last:%Y}",
                    "Veränd.",
                    f"gewerbl. {first:%Y}",
                    f"gewerbl. {last:%Y}",
                    "neu erfasst",
                    "entfernt",
                ],
                rows,
                [44, 19, 19, 16, 19, 19, 20, 18],
                s,
                right=(1, 2, 3, 4, 5, 6, 7),
            ),
            _p(
                f"Stand von OpenStreetMap am {fmt_date(first)} und am {fmt_date(last)} (letzter Schnappschuss bis zum "
                f"Stichtag); neu erfasst / entfernt: Summe über die Schnappschüsse dazwischen. {SM.OSM_CREDIT}.",
                s["caption"],
            ),
            _image(
                F.buildings_figure(
                    data,
                    title="Gebäude je Ortsteil in OpenStreetMap",
                    subtitle="Anzahl der Gebäude (links) und der gewerblich genutzten Gebäude (rechts)",
                ),
                dpi=ctx.dpi,
            ),
            Spacer(1, 4 * mm),
        ]
    story.append(PageBreak())
    return story


_DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "Gewerbeeinheit",
        "Eine gewerblich nutzbare Einheit (Laden, Büro, Werkstatt …) mit fester Kennung und Lage. "
        "Ortsteil und Quartier ergeben sich aus der Lage und den Ortsteilgrenzen, sie werden nie eingetippt.",
    ),
    (
        "Status am Stichtag",
        "Die letzte Beobachtung der Einheit an oder vor dem Stichtag. Beobachtungen eines Tages werden "
        "nach Erfassungszeitpunkt geordnet; durch eine Korrektur ersetzte Beobachtungen gehen in keine Zahl ein. Eine Einheit "
        "ohne Beobachtung bis zum Stichtag zählt noch nicht.",
    ),
    (
        "Gewerbeeinheiten (bekannter Status)",
        "Einheiten mit bekanntem Status am Stichtag, ohne „unbekannt“ und ohne "
        "„entfallen“ (abgerissen, zusammengelegt).",
    ),
    (
        "Leerstehend",
        "Status „leer“ oder „vermutlich leer“ (vermutlich leer wird in den Tabellen mitgezählt).",
    ),
    (
        "Leerstandsquote nach Anzahl",
        "Leerstehende Einheiten geteilt durch die Einheiten mit bekanntem Status (ohne entfallene).",
    ),
    (
        "Leerstandsquote nach Fläche",
        "Leerstehende Fläche geteilt durch die Fläche der Einheiten mit bekanntem Status, "
        "jeweils nur über die Einheiten mit bekannter Fläche.",
    ),
    (
        "Neuansiedlung",
        "Eine Beobachtung im Zeitraum, die eine Einheit „genutzt“ macht, wenn ihr voriger bekannter Status "
        "(„unbekannt“ wird übersprungen) nicht „genutzt“ war oder ein anderer Betrieb dort war (Namen ohne Rücksicht auf "
        "Groß-/Kleinschreibung und Leerzeichen verglichen; ein fehlender Name gilt nicht als anderer Betrieb). Die erste "
        "Beobachtung einer Einheit zählt nur, wenn sie als Neuansiedlung gekennzeichnet ist – eine Ersterfassung sagt nichts "
        "darüber, wann ein Betrieb kam.",
    ),
    (
        "Schließung",
        "Eine Beobachtung im Zeitraum, deren voriger bekannter Status „genutzt“ war und die „leer“, „vermutlich "
        "leer“ oder „Sanierung/Umbau“ lautet. Genutzt → entfallen ist keine Schließung.",
    ),
    ("Saldo", "Neuansiedlungen minus Schließungen im Zeitraum."),
    (
        "Leerstandsdauer",
        "Von der ersten Beobachtung „leer“/„vermutlich leer“ bis zur nächsten Beobachtung mit anderem Status "
        "(auch „unbekannt“ beendet einen Leerstand); laufende Leerstände werden bis zum Stichtag gemessen. Median und längster "
        "Leerstand werden über die am Stichtag laufenden Leerstände gebildet. Monate = Tage / 30,4375.",
    ),
    (
        "Zeitraum und Vorperiode",
        "Zeitraum: erster bis letzter Tag, beide eingeschlossen; Bestandszahlen am letzten Tag. "
        "Vorperiode: der gleich lange Zeitraum unmittelbar davor (bei Jahr, Halbjahr, Quartal und Monat der vorige "
        "Kalenderzeitraum); ihre Bestandszahlen gelten am Tag vor Beginn des Berichtszeitraums.",
    ),
    (
        "Neu leer / neu genutzt",
        "Vergleich der Status am Tag vor Beginn und am letzten Tag des Zeitraums: neu leer – am Ende "
        "leerstehend, am Anfang nicht; neu genutzt – am Ende genutzt, am Anfang nicht; andere Änderung – jede andere Änderung.",
    ),
    (
        "Leerstandsquote je Jahr",
        "Jeweils am 31.12. eines Jahres, im letzten Jahr am Stichtag; Neuansiedlungen und "
        "Schließungen je Kalenderjahr.",
    ),
)


def _coverage_text(q: _Quarter) -> str:
    st = q.status_end
    registered = st.loc[st["status"].notna()]
    if not len(registered):
        return f"{q.label}: Bis zum Stichtag keine Einheiten erfasst."
    live = registered.loc[registered["status"] != "demolished"]
    unknown = int((live["status"] == "unknown").sum())
    probably = int((live["status"] == "probably_vacant").sum())
    cutoff = pd.Timestamp(q.period.end) - pd.DateOffset(years=1)
    stale = int((pd.to_datetime(live["observed_on"]) < cutoff).sum())
    share = stale / len(live) if len(live) else float("nan")
    return (
        f"{q.label}: {fmt_int(len(registered))} Einheiten bis zum {fmt_date(q.period.end)} erfasst, davon "
        f"{fmt_int(unknown)} mit Status „unbekannt“ und {fmt_int(probably)} „vermutlich leer“; "
        f"{fmt_int(stale)} Einheiten ({fmt_pct(share)}) wurden zuletzt vor mehr als 12 Monaten beobachtet – ihr Status kann "
        "veraltet sein."
    )


def _methods_section(ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [
        _p("Methodik, Definitionen und Hinweise", s["H1"]),
        _p("Begriffe und Kennzahlen", s["H2"]),
    ]
    for term, text in _DEFINITIONS:
        story.append(KeepTogether([_p(term, s["term"]), _p(text, s["def"])]))
    if ctx.public:
        story += [CondPageBreak(40 * mm), _p("Öffentliche Fassung", s["H2"])]
        text = (
            "Die öffentliche Fassung enthält keine personenbezogenen oder internen Angaben: keine Eigentümer, "
            "Ansprechpersonen, Telefonnummern, E-Mail-Adressen, Notizen oder Namen von Mitarbeitenden. "
        )
        if ctx.unit_level:
            text += "Leerstand wird auf ausdrückliche Freigabe je Einheit gezeigt."
        else:
            text += (
                f"Leerstand wird nicht je Einheit gezeigt, sondern je Straßenabschnitt: Jede Straße wird (beide Seiten "
                f"zusammen) entlang ihres Verlaufs in Abschnitte von etwa {settings.segment_length_m:.0f} m mit gleich vielen "
                f"Einheiten geteilt, jeder mit mindestens {settings.public_min_units} Einheiten. Die Karte zeigt die Leerstandsquote "
                "des Abschnitts in Klassen, die Tabellen Abschnitte und Straßen, keine Adressen leerer Einheiten. "
                f"Abschnitte, Straßen und Ortsteile mit weniger als {settings.public_min_units} Einheiten werden nicht ausgewiesen. "
                "Neuansiedlungen sind geöffnete Betriebe und werden mit Namen und Adresse genannt."
            )
        story.append(_p(text, s["body"]))
    story += [CondPageBreak(40 * mm), _p("Hinweise zur Datengrundlage", s["H2"])]
    story.append(
        _p(
            "Das Register enthält die Einheiten, die der Quartiersservice bei Begehungen, aus Meldungen und Listen erfasst hat; "
            "es ist keine Vollerhebung. Einheiten werden unterschiedlich oft beobachtet, der Status am Stichtag ist der zuletzt "
            "beobachtete. „Vermutlich leer“ beruht auf äußeren Anzeichen. Neue Einheiten im Register können schon lange "
            "bestehen: Die Zahl der Einheiten wächst auch mit der Erfassung.",
            s["body"],
        )
    )
    for q in ctx.quarters:
        story.append(_p(_coverage_text(q), s["body"]))
    credit = SM.boundary_credit(ctx.quarters[0].boundaries) or ""
    if SM.APPROX_BOUNDARY_CREDIT in credit:
        story.append(
            _p(
                "Ortsteilgrenzen: eigene, handgezeichnete Umrisse des Quartiersmonitors, stellenweise einige hundert "
                "Meter ungenau und nicht amtlich. Für amtliche Zahlen die Ortsteilgrenzen der Stadt Leipzig laden "
                "(python -m geo boundaries).",
                s["body"],
            )
        )
    if OFFICIAL_SOURCE in credit:
        story.append(_p(f"{BOUNDARY_ATTRIBUTION} ({BOUNDARY_LICENCE_URL}).", s["body"]))
    if ctx.buildings is not None:
        from geo.osm.buildings import CAVEAT

        story.append(_p(f"Gebäudebestand aus OpenStreetMap: {CAVEAT}", s["body"]))
    else:
        story.append(
            _p(
                "OpenStreetMap: Veränderungen im Kartenbestand spiegeln auch die Aktivität der Kartierenden wider, "
                "nicht nur Bautätigkeit.",
                s["body"],
            )
        )
    if ctx.demo:
        story.append(
            _p(
                f"{settings.demo_label}: Alle Betriebe, Adressen, Personen und Zahlen dieses Berichts sind erfunden.",
                ParagraphStyle("demo", parent=s["body"], fontName=_BOLD, textColor=_RED),
            )
        )
    story += [CondPageBreak(40 * mm), _p("Quellen und Lizenzen", s["H2"])]
    story.append(_table(["Daten", "Quelle, Lizenz"], _sources(ctx), [40, 134], s))
    return story
