"""German everywhere: command-line help and errors, Streamlit's own widget texts, map controls,
the import report, export headers, number formats and download names."""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import folium
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import cli, settings
from geo.app.display import german_style
from geo.app.exchange import export_bytes, export_name, figure_name, plan_upload
from geo.app.filters import Filters
from geo.outputs import _controls, _leaflet, maps
from geo.outputs.report import file_stem
from geo.outputs.report.period import Period
from geo.register.io import GERMAN_HEADERS, export_frame, export_history, export_units, import_file
from geo.register.stats import status_at
from geo.register.store import open_store
from geo.text import file_name
from pages import _style
from tests.signin import signed_in
from tests.synthetic import synthetic_store

ROOT = Path(__file__).resolve().parents[2]

#: argparse's own English texts (Python 3.11-3.13).
ARGPARSE_ENGLISH = (
    "usage:", "positional arguments", "options:", "optional arguments", "show this help message",
    "error:", "the following arguments are required", "invalid choice", "choose from", "expected one argument",
    "invalid float value", "invalid int value", "unrecognized arguments",
)  # fmt: skip
SUBCOMMANDS = ("demo", "boundaries", "import", "export", "stats", "timeline", "buildings", "report", "walk")


def english_words(text: str) -> list[str]:
    return [w for w in ARGPARSE_ENGLISH if w in text.lower()]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("language") / "demo.gpkg"
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    return synthetic_store(target, n=150)


# -- command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["import", "--help"]])
def test_python_m_geo_help_is_german(args):
    done = subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Aufruf: python -m geo")
    assert "Optionen:" in done.stdout and "diese Hilfe zeigen und beenden" in done.stdout
    assert english_words(done.stdout) == []


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_help_is_german(sub, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([sub, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Aufruf: python -m geo {sub}")
    assert english_words(out) == [], out


@pytest.mark.parametrize(
    ("args", "german"),
    [
        (["import"], "diese Angaben fehlen: DATEI"),
        ([], "diese Angaben fehlen: BEFEHL"),
        (["stats", "--format", "xml"], "ungültige Auswahl: 'xml'"),
        (["walk", "--budget", "viel"], "ungültiger Wert 'viel' (erwartet: eine Zahl)"),
        (["stats", "--gibtsnicht"], "unbekannte Argumente: --gibtsnicht"),
        (["export", "--headers", "fr", "--out", "x.csv"], "ungültige Auswahl: 'fr'"),
    ],
)
def test_argument_errors_are_german(args, german, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert german in err and "Fehler:" in err
    assert english_words(err) == [], err


# -- Streamlit's own texts ------------------------------------------------------------------


def test_uploader_texts_are_replaced_by_german_ones():
    css = _style.css(100)
    assert 'content: "Datei wählen"' in css and 'content: "Dateien wählen"' in css
    assert 'content: "höchstens 100 MB je Datei"' in css and 'content: "Datei hier ablegen"' in css
    # the English texts are hidden where they are, the German ones take their place
    assert re.search(r'stFileUploaderDropzoneInstructions"\] span[^{]*\{ font-size: 0; \}', css)
    assert 'button p::after' in css and "stFileUploaderDropzone\"] button p," in css
    assert "1.000 MB" in _style.css(1000)  # German number format


@pytest.mark.skipif("QM_MAX_IMPORT_BYTES" in os.environ, reason="import limit changed by the environment")
def test_server_upload_limit_is_the_import_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == settings.max_import_bytes


def test_every_page_gets_the_german_uploader_texts(demo_store):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(demo_store)
    signed_in(at)
    at.run()
    for page in ("pages/daten.py", "pages/gebaeude.py"):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        styles = [h.proto.body for h in at.get("html")]
        assert any("Datei wählen" in s and "je Datei" in s for s in styles), page


def test_import_report_shows_no_none(demo_store, tmp_path):
    """Rows without coordinates have no column and no value: shown empty, never as "None"."""
    store = synthetic_store(tmp_path / "real.gpkg", n=40, demo=False)
    csv = "Straße;Hausnummer;Status;Datum\nGibtsnichtstraße;1;leer;01.02.2024\n".encode()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    at.run()
    at.switch_page("pages/daten.py").run()
    at.file_uploader(key="d_upload").set_value(("liste.csv", csv, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table.columns) == ["Zeile", "Spalte", "Wert", "Grund", "Art"]
    cells = table[["Spalte", "Wert"]].to_numpy().ravel().tolist()
    assert None not in cells and "None" not in cells and "" in cells
    # what st.dataframe shows: missing row numbers as "–", no "None", "nan", "<NA>"
    frame = plan_upload(open_store(store).read(), data=csv, name="liste.csv").report.to_frame()
    shown = german_style(frame.assign(Zeile=pd.array([None] * len(frame), dtype="Int64"))).to_html()
    assert "None" not in shown and "&lt;NA&gt;" not in shown and "nan" not in shown and "–" in shown


def test_every_date_input_shows_german_dates():
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "date_input":
                kwargs = {k.arg: k.value for k in node.keywords}
                assert isinstance(kwargs.get("format"), ast.Constant), f"{path.name}:{node.lineno}"
                assert kwargs["format"].value == "DD.MM.YYYY", f"{path.name}:{node.lineno}"


# -- maps -----------------------------------------------------------------------------------


def test_map_controls_have_german_tooltips():
    html = _leaflet.new_map().get_root().render()
    for selector, title in _controls.CONTROL_TITLES.items():
        assert selector in html and title in html
    assert "Ebenen" in html and "Vergrößern" in html and "Verkleinern" in html
    # the script runs after the layer control exists: it is added to every map, before the control
    m = _leaflet.new_map()
    folium.LayerControl().add_to(m)
    text = m.get_root().render()
    assert text.index("setTimeout") < text.index("L.control.layers")


def test_register_map_carries_the_german_controls(demo_store):
    from geo.app.mapdata import view_map_data

    data = view_map_data(open_store(demo_store).read(), Filters(), settlements=False)
    html = maps.render_map(data, basemap="none").get_root().render()
    assert "Ebenen" in html and "leaflet-control-layers-toggle" in html


# -- numbers --------------------------------------------------------------------------------

_NUMBER_SPEC = re.compile(r"^[<>^=]?[+\- ]?#?0?\d*[,_]?(\.\d+)?[efgEFG%n]$")


def test_no_number_is_formatted_in_english_in_pages_and_app():
    """Numbers shown to people go through geo.formats (11,8 %, 1.234), never f"{x:.1f}"."""
    found = []
    for path in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "geo" / "app").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
                spec = "".join(str(v.value) for v in node.format_spec.values if isinstance(v, ast.Constant))
                if _NUMBER_SPEC.match(spec) or spec.startswith(","):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} :{spec}")
    assert found == []


# -- export headers -------------------------------------------------------------------------


def test_every_exported_column_has_a_german_header(demo_store):
    register = open_store(demo_store).read()
    columns = set(export_frame(register, internal=True).columns) | set(export_history(register, internal=True).columns)
    missing = columns - set(GERMAN_HEADERS) - {"geometry"}
    assert not missing, f"no German header for {sorted(missing)}"
    assert len(set(GERMAN_HEADERS.values())) == len(GERMAN_HEADERS)


def test_german_csv_export_and_its_reimport(demo_store, tmp_path):
    register = open_store(demo_store).read()
    out = export_units(register, tmp_path / "liste.csv", at="2025-12-31", headers="de")
    header = out.read_text(encoding="utf-8-sig").splitlines()[0].split(";")
    assert header[:4] == ["Nr.", "Straße", "Hausnummer", "PLZ"]
    assert {"Status", "Datum", "Längengrad", "Breitengrad", "Fläche (m²)"} <= set(header)
    assert not {"unit_id", "street", "status_label", "lon"} & set(header)
    # an export with German headers is a list the import reads again: the same status per unit
    copy = tmp_path / "kopie.gpkg"
    report = import_file(out, store=copy, today=date(2026, 11, 1))
    assert report.units_added == len(register.units)
    a = status_at(register, "2025-12-31").set_index("unit_id")
    b = status_at(open_store(copy).read(), "2025-12-31").set_index("unit_id")
    seen = a["status"].notna()
    assert (a.loc[seen, "status"] == b.loc[a.index[seen], "status"]).all()


def test_headers_on_the_command_line_and_in_the_app(demo_store, tmp_path):
    register = open_store(demo_store).read()
    assert cli.main(["export", "--store", str(demo_store), "--out", str(tmp_path / "de.csv")]) == 0
    assert (tmp_path / "de.csv").read_text(encoding="utf-8-sig").startswith("Nr.;Straße;")
    assert cli.main(["export", "--store", str(demo_store), "--out", str(tmp_path / "en.csv"), "--headers", "en"]) == 0
    assert (tmp_path / "en.csv").read_text(encoding="utf-8-sig").startswith("unit_id;street;")
    app = export_bytes(register, fmt="csv", at=date(2025, 12, 31))  # the app's download: German
    assert app.decode("utf-8-sig").startswith("Nr.;Straße;")
    raw = export_bytes(register, fmt="csv", at=date(2025, 12, 31), headers="en")
    assert raw.decode("utf-8-sig").startswith("unit_id;street;")
    xlsx = pd.read_excel(io.BytesIO(export_bytes(register, fmt="xlsx", at=date(2025, 12, 31))), sheet_name=None)
    assert "Status" in xlsx["Einheiten"].columns and "Beobachtung Nr." in xlsx["Beobachtungen"].columns


# -- download names ------------------------------------------------------------------------


def test_download_names_spell_out_umlauts_the_same_way_everywhere():
    at = date(2024, 12, 31)
    assert file_name("leerstand", "Grünau", "2024-12-31", suffix="csv") == "leerstand_gruenau_2024-12-31.csv"
    assert export_name(Filters(quarter="Grünau", at=at), "csv") == "leerstand_gruenau_2024-12-31_oeffentlich.csv"
    assert figure_name("rate", Filters(ortsteil="Grünau-Mitte", at=at), "png") == (
        "leerstandsquote_gruenau-mitte_2024-12-31.png"
    )
    period = Period.between(date(2024, 1, 1), at)
    assert file_stem(["Grünau"], period) == "bericht_gruenau_2024-01-01_2024-12-31_oeffentlich"
    assert file_stem([None], period, internal=True) == "bericht_gesamt_2024-01-01_2024-12-31_intern"
    assert file_name("gebaeudebestand", "Schönefeld-Abtnaundorf", "demo-fiktiv", suffix="xlsx") == (
        "gebaeudebestand_schoenefeld-abtnaundorf_demo-fiktiv.xlsx"
    )


def test_no_download_name_is_typed_in_on_a_page():
    """Every download name of the pages is built by a function (geo.text.file_name and its users)."""
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "file_name":
                assert not isinstance(node.value, ast.Constant), f"{path.name}:{node.value.lineno}"
