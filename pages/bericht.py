"""Bericht: the period report as PDF, its figures as XLSX, every map and chart as PNG and SVG.

The public version for the role Stadt; the internal one (personal data) for the role Büro, recorded
in the audit trail when made and when downloaded. Building snapshots come from a folder the server
offers by name (:func:`geo.app.serverfiles.snapshot_folders`), never a typed path.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from geo import dates, formats
from geo.access.accounts import AuditAction
from geo.access.roles import Right
from geo.app.exchange import EXPORT_MIME
from geo.app.figures import plausible_start
from geo.app.filters import filter_options
from geo.app.serverfiles import snapshot_folders
from geo.dates import local_today
from geo.errors import QuartiersmonitorError
from geo.outputs import report
from pages import _auth, _router, _session, _ui

_router.ensure(__file__)
_auth.require(Right.PUBLIC_EXPORT, title="Bericht")

KINDS = ("Halbjahr", "Jahr", "Quartal", "frei")


def _period(kind: str, first_year: int, today: date) -> report.Period | None:
    """Widgets for the period (default: the last completed half-year); None while free dates are incomplete."""
    years = list(range(today.year, min(first_year, today.year) - 1, -1))
    year_h, half = (today.year, 1) if today.month >= 7 else (today.year - 1, 2)
    if kind == "frei":
        last = report.parse_period(f"{year_h}H{half}")
        picked = st.date_input(
            "Von – bis",
            value=(last.start, last.end),
            max_value=today,
            format="DD.MM.YYYY",
            min_value=dates.plausible_window(today=today)[0],
            key="b_dates",
        )
        return report.Period.between(*picked) if isinstance(picked, tuple) and len(picked) == 2 else None
    left, right = st.columns(2)
    year = left.selectbox("Jahr", years, index=years.index(year_h) if year_h in years else 0, key="b_year")
    if kind == "Jahr":
        return report.parse_period(str(year))
    if kind == "Halbjahr":
        part = right.radio("Halbjahr", [1, 2], index=half - 1, horizontal=True, key="b_half")
        return report.parse_period(f"{year}H{part}")
    part = right.radio("Quartal", [1, 2, 3, 4], horizontal=True, key="b_quarter")
    return report.parse_period(f"{year}Q{part}")


@st.cache_data(max_entries=6, show_spinner=False)
def _build(_register: Any, path: str, stamp: int, request: tuple[Any, ...]) -> dict[str, Any]:
    """PDF, XLSX, figure images and a preview of the first pages (cached per store version and choice)."""
    quarters, start, end, public, unit_level, folder = request
    osm = report.load_osm_buildings(folder, _register) if folder else None
    bundle = report.report_bundle(
        _register,
        quarter=list(quarters) or None,
        start=start,
        end=end,
        internal=not public,
        unit_level=unit_level,
        osm_buildings=osm,
    )
    return {"bundle": bundle, "preview": report.preview_pages(bundle.pdf)}


@st.cache_data(max_entries=6, show_spinner=False)
def _shown(path: str, stamp: int, request: tuple[Any, ...], _images: dict[str, tuple[bytes, bytes]]) -> dict[str, bytes]:
    """The figures at display size, made once per report after its downloads are offered (not shrunk per run)."""
    return {name: report.display_png(png) for name, (png, _) in _images.items()}


h = _ui.load()
_ui.page_header(
    "Bericht",
    h,
    caption="Zeitraumbericht für Beirat und Stadt als PDF (A4), die Kennzahlen als XLSX "
    "und jede Karte und jedes Diagramm als PNG oder SVG.",
)
options = filter_options(h.register)
today = local_today()

col_q, col_p, col_v = st.columns([2, 3, 2])
quarters = col_q.multiselect(
    "Quartier(e)",
    list(options.quarters),
    default=list(options.quarters[:1]),
    max_selections=2,
    key="b_quarters",
    help="Zwei Quartiere werden nebeneinander verglichen; ohne Auswahl: alle Einheiten.",
)
with col_p:
    kind = st.radio("Zeitraum", KINDS, horizontal=True, key="b_kind")
    first, notice = plausible_start(h.register, today=today)
    if notice:
        st.info(notice, icon=":material/event_busy:")
    period = _period(kind, first.year, today)
if not _auth.can(Right.INTERNAL_EXPORT):
    public = True
    col_v.caption("Öffentliche Fassung ohne personenbezogene Daten (die interne hat die Rolle Büro).")
else:
    public = (
        col_v.radio(
            "Fassung",
            ["öffentlich", "intern"],
            horizontal=True,
            key="b_version",
            help="Öffentlich: ohne personenbezogene Daten, Leerstand je Straßenabschnitt.",
        )
        == "öffentlich"
    )
unit_level = public and col_v.toggle(
    "Leerstand je Einheit zeigen",
    key="b_unit_level",
    help="Nur wenn die Veröffentlichung einzelner leerer Einheiten abgestimmt ist.",
)
snapshots = snapshot_folders()
picked = st.selectbox(
    "Ordner mit OSM-Gebäude-Schnappschüssen (optional)",
    list(snapshots),
    index=None,
    key="b_osm",
    placeholder="ohne Abschnitt Gebäudebestand" if snapshots else "kein Ordner auf dem Server eingerichtet",
    help="Ordner im Datenordner des Servers mit Dateien wie „Volkmarsdorf-2024-buildings.geojson“; fügt den "
    "Abschnitt Gebäudebestand hinzu.",
)
folder = str(snapshots[picked]) if picked in snapshots else ""

if period is None:
    st.info("Bitte Beginn und Ende wählen.")
    st.stop()
previous = period.previous()
st.caption(f"{period.label}: {period.dates} · Vergleich mit {previous.label} ({previous.dates})")
if period.end > today:
    st.warning(
        f"Der Zeitraum endet nach heute: die Bestandszahlen zeigen den Stand vom {formats.fmt_date(today)}."
    )
if not public:
    st.warning(
        "Die interne Fassung enthält personenbezogene Daten (Eigentümer, Kontakte) – nicht weitergeben."
    )

choice = (tuple(quarters), period.start, period.end, public, unit_level, folder)
if st.button("Bericht erstellen", type="primary", key="b_go"):
    st.session_state[_session.REPORT_REQUEST] = choice
    if not public:
        _auth.audit(AuditAction.REPORT_PERSONAL, f"interner Bericht {period.label} erstellt")
request = st.session_state.get(_session.REPORT_REQUEST)
if request is None:
    st.stop()
if not request[3] and not _auth.can(Right.INTERNAL_EXPORT):  # an internal request kept over a change of account
    st.session_state.pop(_session.REPORT_REQUEST, None)
    st.stop()
if request != choice:
    st.info("Die Auswahl hat sich geändert: „Bericht erstellen“ drücken, um den Bericht neu zu erzeugen.")
try:
    with st.spinner("Bericht wird erstellt … (Karten, Diagramme, PDF, Bilder)"):
        built = _build(h.register, h.path, h.stamp, request)
except QuartiersmonitorError as exc:
    _ui.show_error(exc)
    st.stop()

bundle: report.ReportBundle = built["bundle"]
summary = bundle.summary
for note in summary.notes:
    st.info(note)
stem = report.file_stem(request[0], summary.period, internal=summary.internal)


def logged(data: bytes, name: str) -> Any:
    """The file, or for the internal report a callable that records the download in the audit trail."""
    return _auth.audited(lambda: data, AuditAction.REPORT_PERSONAL, name) if summary.internal else data


d1, d2, d3 = st.columns(3)
d1.download_button(
    f"PDF herunterladen ({summary.pages} Seiten)",
    logged(bundle.pdf, f"{stem}.pdf"),
    file_name=f"{stem}.pdf",
    mime="application/pdf",
    type="primary",
    key="b_pdf",
    on_click="ignore",
)
d2.download_button(
    "Kennzahlen als XLSX", logged(bundle.xlsx, f"{stem}.xlsx"), file_name=f"{stem}.xlsx", mime=EXPORT_MIME["xlsx"],
    key="b_xlsx", on_click="ignore",
)
version = "öffentliche" if summary.public else "interne"
d3.caption(f"{summary.period.label} · {version} Fassung · erstellt in {formats.fmt_number(bundle.seconds, digits=1, unit='s')}")

st.subheader("Kennzahlen")
st.dataframe(report.summary_table(summary), hide_index=True, width="stretch")

if built["preview"]:
    st.subheader("Vorschau")
    for number, (col, png) in enumerate(
        zip(st.columns(len(built["preview"])), built["preview"], strict=True), 1
    ):
        col.image(png, caption=f"Seite {number}", width="stretch")

st.subheader("Karten und Diagramme")
st.caption("PNG (200 dpi) für Präsentationen, SVG zum verlustfreien Vergrößern und Bearbeiten.")
items, shown = list(bundle.images.items()), _shown(h.path, h.stamp, request, bundle.images)
for first in range(0, len(items), 2):
    for col, (name, (png, svg)) in zip(st.columns(2), items[first : first + 2], strict=False):
        col.image(shown[name], width="stretch")
        b1, b2 = col.columns(2)
        b1.download_button("PNG", png, file_name=f"{name}.png", mime="image/png", key=f"b_png_{name}")
        b2.download_button("SVG", svg, file_name=f"{name}.svg", mime="image/svg+xml", key=f"b_svg_{name}")
