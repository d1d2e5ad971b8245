"""The period report: an A4 PDF in German for the Beirat and the city, and its tables.

:func:`build_report` makes the PDF for one quarter, two quarters side by side,
or the whole register, and a period (year, half-year, quarter, month or free
dates): title page with sources and licences, key figures with the change
against the previous period of equal length, maps of the status at the end of
the period and of the changes within it, charts, tables, the building stock
from OpenStreetMap snapshots where given, and a methods page.

Every figure comes from :mod:`geo.register.stats` (``stats``, ``timeline``,
``events``, ``vacancy_spells``, ``longest_vacant``, ``compare``).

Public version
--------------
The public version is the default; the internal one needs ``internal=True``
(command line ``--internal``) and says "intern" in its title, its header, its
PDF metadata and (on the command line) its file name. The public version is
computed on a copy of the register in which every column not on the public
whitelists of :mod:`geo.register.model` is empty (:func:`geo.register.model.public_frame`): no
owner, contacts, notes, staff, address notes or free-text sources, whatever a
table asks for. Unless ``unit_level=True`` it never shows a single vacant unit: maps show street
sections (:func:`geo.outputs.segments.street_segments`: each street cut into
sections of about :data:`geo.settings.segment_length_m` metres with equal numbers of units) coloured
by the section's vacancy rate in classes, and sections with fewer than
:data:`geo.settings.public_min_units` units are not shown; tables list streets and sections, not
vacant addresses; vacancy rates of Ortsteile with fewer than
:data:`geo.settings.public_min_units` units are left out of the charts. New settlements are open
businesses and stay listed with name and address.

Modules
-------
:mod:`~geo.outputs.report.period` (report periods), :mod:`~geo.outputs.report.data` (key figures
and the data of a quarter), :mod:`~geo.outputs.report.tables` (the tables as numbers),
:mod:`~geo.outputs.report.xlsx` (the tables as a workbook), :mod:`~geo.outputs.report.graphics`
(maps and charts), :mod:`~geo.outputs.report.document` (the PDF, laid out by the private modules
``_pdf`` for the plumbing, ``_overview`` for the title page and key figures, ``_quarter_pages``
for the maps, charts and tables of a quarter, ``_appendix`` for the building stock and the
methods) and :mod:`~geo.outputs.report.bundle` (downloads for the app).

Command line: ``python -m geo report --store PATH --quarter NAME --from DATE
--to DATE [--internal] --out report.pdf`` (see :mod:`geo.cli.report`).
"""

from geo.outputs.report.bundle import ReportBundle, display_png, preview_pages, report_bundle, summary_table
from geo.outputs.report.data import (
    FIGURES,
    file_stem,
    format_change,
    format_value,
    key_figures,
    load_osm_buildings,
)
from geo.outputs.report.document import ReportSummary, build_report
from geo.outputs.report.graphics import report_figures
from geo.outputs.report.period import Period, describe_period, parse_period
from geo.outputs.report.tables import report_tables
from geo.outputs.report.xlsx import XLSX_SHEETS, period_figures_xlsx

__all__ = [
    "FIGURES",
    "XLSX_SHEETS",
    "Period",
    "ReportBundle",
    "ReportSummary",
    "build_report",
    "describe_period",
    "file_stem",
    "format_change",
    "format_value",
    "key_figures",
    "load_osm_buildings",
    "parse_period",
    "period_figures_xlsx",
    "display_png",
    "preview_pages",
    "report_bundle",
    "report_figures",
    "report_tables",
    "summary_table",
]
