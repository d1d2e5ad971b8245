"""Issue 12 in a real browser: two app servers on one PostGIS register see each other's writes on their next run.

One register on the PostGIS test server (a fresh schema, filled by ``python -m geo store copy
data/demo.gpkg URL``), one account of role Büro (``python -m geo users add … --role buero``,
password on stdin), two Streamlit servers (``streamlit run streamlit_app.py``, headless, both
with ``QM_STORE=URL``) and two browser contexts in headless Chromium:

1. Browser B (server 2, not signed in) reads „Leerstehend“ on Übersicht. Browser A (server 1)
   signs in and records „genutzt“ for a vacant unit through the form on Karte. B's next run --
   a widget interaction: choosing the unit's quarter in the sidebar, then „alle Quartiere“
   again -- shows the figures of the register after the write, for that quarter and for all.
2. The other way: B signs in on server 2 and records „genutzt“ for another vacant unit of the
   same street; A's next run -- a widget interaction inside Karte's unit panel (the search field:
   a run of the panel's fragment, which reuses the handle of the page's last full run) -- shows
   that unit's new status.
3. B writes again while A's form shows the older state: A's save is refused with the conflict
   message, nothing of it is written, and A is shown B's status; a full run of A (the sidebar's
   status filter „leer“) lists the street's vacant units as the store counts them.

Every expected figure is computed from the store after the write with :mod:`geo.register.stats`.
Skipped where Chromium, the ``playwright`` package, psycopg or a PostGIS server is missing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pandas as pd
import pytest

from geo.app.filters import Filters, apply_filters
from geo.dates import local_today
from geo.register import stats
from geo.register.history import Register
from geo.register.model import STATUS_LABELS
from geo.register.store import open_store
from tests.browser_util import (
    ROOT,
    AppServer,
    launch_browser,
    offline_context,
    sign_in,
    skip_reason,
    wait_idle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

WIDE = {"width": 1440, "height": 900}
NAME = "buero-zwei"
PASSWORD = "Zwei-Server-Passwort-2024!"
SEARCH = "Einheit suchen (Kennung, Straße oder Betrieb)"

#: JavaScript: the text of the unit panel's cell right of ``label`` in the table „Stand am …“.
STATE_CELL_JS = """(label) => {
    for (const table of document.querySelectorAll('[data-testid="stMain"] table')) {
        if (!table.innerText.includes('Stand am')) { continue; }
        for (const row of table.querySelectorAll('tbody tr')) {
            const cells = [...row.querySelectorAll('td')].map(c => c.innerText.trim());
            if (cells[2] === label) { return cells[3]; }
        }
    }
    return null;
}"""


def _run_geo(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"geo {args[0]} {args[1]}: {done.stderr or done.stdout}"


@pytest.fixture(scope="module")
def register_url(postgis_server) -> str:
    """A fresh schema holding a copy of the demo register and the account :data:`NAME` (role Büro)."""
    pytest.importorskip("psycopg", reason="psycopg fehlt (pip install -e '.[postgis]')")
    from tests.store_backends import PostgisBackend

    backend = PostgisBackend(postgis_server)
    try:
        url = backend.new_url("zwei_server")
        _run_geo("store", "copy", str(ROOT / "data" / "demo.gpkg"), url)
        _run_geo("users", "add", NAME, "--role", "buero", "--store", url, stdin=PASSWORD + "\n")
        yield url
    finally:
        backend.drop()


@pytest.fixture(scope="module")
def servers(register_url, tmp_path_factory):
    """Two app servers on the register, started side by side."""
    logs = tmp_path_factory.mktemp("two-servers")
    apps = [AppServer(store=register_url, log=logs / f"streamlit-{i}.log") for i in (1, 2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda app: app.start(timeout=90), apps))
        yield apps
    finally:
        for app in apps:
            app.stop()


def _status(url: str) -> tuple[Register, pd.DataFrame]:
    """The register in ``url`` and its status frame today."""
    register = open_store(url).read()
    return register, stats.status_at(register, local_today())


def _vacant(register: Register, **view: str) -> int:
    """„Leerstehend“ of a view today, as Übersicht computes it (leer and vermutlich leer)."""
    return int(stats.stats(apply_filters(register, Filters(**view), by_status=False), at=local_today())["vacant"].iloc[0])


def _metric(page, label: str) -> int:  # noqa: ANN001 - a Playwright page
    """The value of the key figure ``label`` as an integer („1.234“ → 1234)."""
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )
    text = metric.locator('[data-testid="stMetricValue"]').inner_text(timeout=30_000)
    return int(text.strip().replace(".", ""))


def _choose(page, label: str, option: str, *, within: str = '[data-testid="stSidebar"]') -> None:  # noqa: ANN001
    """Pick ``option`` in the select box (or add it to the multiselect) labelled ``label`` inside ``within``."""
    box = page.locator(within).get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)  # the list shows the matching options
    page.get_by_role("option", name=option, exact=True).click()
    if page.get_by_role("listbox").count():  # a multiselect stays open (Escape on a closed select box undoes)
        page.keyboard.press("Escape")
    wait_idle(page, timeout=60)


def _open_unit(page, unit_id: str) -> None:  # noqa: ANN001
    """Search ``unit_id`` in Karte's unit panel (a run of the panel's fragment)."""
    field = page.get_by_role("textbox", name=SEARCH)
    field.fill(unit_id)
    field.press("Enter")
    wait_idle(page, timeout=60)
    page.get_by_text("Verlauf", exact=True).wait_for(timeout=30_000)


def _unit_status(page) -> str | None:  # noqa: ANN001
    return page.evaluate(STATE_CELL_JS, "Status")


def _record(page, unit_id: str, status: str) -> None:  # noqa: ANN001
    """Record ``status`` for the unit open in the panel through the form „Neue Beobachtung erfassen“."""
    _choose(page, "Status", STATUS_LABELS[status], within='[data-testid="stForm"]')
    page.get_by_role("button", name="Beobachtung speichern").click()
    page.get_by_text(re.compile(rf"Beobachtung Nr\. \d+ für {re.escape(unit_id)} gespeichert")).wait_for(
        timeout=60_000
    )
    wait_idle(page, timeout=60)


def _karte(page, server: AppServer, street: str) -> None:  # noqa: ANN001
    """Open Karte for ``street`` (a bookmark: the sign-in shows there, then the page)."""
    page.goto(f"{server.url}/karte?strasse={quote(street)}")
    wait_idle(page, timeout=90)
    sign_in(page, NAME, PASSWORD, timeout=90)
    assert page.get_by_label("Passwort", exact=True).count() == 0, "sign-in refused"
    page.get_by_role("textbox", name=SEARCH).wait_for(timeout=60_000)


def test_two_servers_see_each_others_writes_on_their_next_run(register_url, servers):
    one, two = servers
    register, frame = _status(register_url)
    vacant = frame.loc[frame["status"] == "vacant"]
    street = vacant["street"].value_counts().index[0]  # the street with the most vacant units
    first, second = sorted(vacant.loc[vacant["street"] == street, "unit_id"])[:2]
    quarter = str(frame.loc[frame["unit_id"] == first, "quarter"].iloc[0])
    vacant_all, vacant_quarter = _vacant(register), _vacant(register, quarter=quarter)

    with launch_browser() as browser:
        ctx_a = offline_context(browser, [], viewport=WIDE)
        ctx_b = offline_context(browser, [], viewport=WIDE)
        try:
            a, b = ctx_a.new_page(), ctx_b.new_page()
            for page in (a, b):
                page.set_default_timeout(60_000)

            # 1. B reads Übersicht on server 2; A writes on server 1; B's next run shows it
            b.goto(two.url + "/")
            wait_idle(b, timeout=90)
            assert _metric(b, "Leerstehend") == vacant_all

            _karte(a, one, street)
            _open_unit(a, first)
            assert _unit_status(a) == STATUS_LABELS["vacant"]
            _record(a, first, "occupied")
            register, frame = _status(register_url)
            assert frame.loc[frame["unit_id"] == first, "status"].iloc[0] == "occupied"  # written to the store
            assert _unit_status(a) == STATUS_LABELS["occupied"]  # and shown to the writer

            _choose(b, "Quartier", quarter)  # B's next run: a widget interaction
            assert _vacant(register, quarter=quarter) == vacant_quarter - 1
            assert _metric(b, "Leerstehend") == _vacant(register, quarter=quarter)
            _choose(b, "Quartier", "alle Quartiere")
            assert _vacant(register) == vacant_all - 1
            assert _metric(b, "Leerstehend") == _vacant(register)

            # 2. the other way: B writes on server 2; A's next run on server 1 shows it
            _karte(b, two, street)
            _open_unit(b, second)
            assert _unit_status(b) == STATUS_LABELS["vacant"]
            _record(b, second, "occupied")
            register, frame = _status(register_url)
            assert frame.loc[frame["unit_id"] == second, "status"].iloc[0] == "occupied"

            _open_unit(a, second)  # A's next run: the unit panel's search (a run of its fragment)
            assert _unit_status(a) == STATUS_LABELS["occupied"]

            # 3. B writes again while A's form shows the older state: A's save is refused, nothing lost
            _record(b, second, "vacant")
            version = open_store(register_url).version()
            _choose(a, "Status", STATUS_LABELS["temporary_use"], within='[data-testid="stForm"]')
            a.get_by_role("button", name="Beobachtung speichern").click()
            a.get_by_text("Nicht gespeichert: das Register wurde inzwischen geändert").wait_for(timeout=60_000)
            wait_idle(a, timeout=60)
            assert open_store(register_url).version() == version  # A's edit made on the older state: not written
            register, frame = _status(register_url)
            assert frame.loc[frame["unit_id"] == second, "status"].iloc[0] == "vacant"  # B's edit stands
            assert _unit_status(a) == STATUS_LABELS["vacant"]  # and A is shown it

            vacant_street = frame.loc[(frame["street"] == street) & (frame["status"] == "vacant")]
            _choose(a, "Status", STATUS_LABELS["vacant"])  # A's next full run: the sidebar's status filter
            a.get_by_text(f"Einheiten in der Auswahl ({len(vacant_street)})", exact=True).wait_for(timeout=30_000)
        finally:
            ctx_a.close()
            ctx_b.close()
    for app in servers:
        assert "Traceback" not in app.log_text(tail=100_000), app.log_text()

