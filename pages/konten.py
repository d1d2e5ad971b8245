"""Konten: the app's accounts (add, change, remove) and the audit trail with filter and CSV export (admin).

Accounts and the trail live in the server's register store (:func:`pages._auth.access_store`);
adding and removing are recorded by :mod:`geo.access.accounts`, the export of the trail here.
Names of colleagues are personal data: only the role admin sees this page.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from geo.access.accounts import AuditAction, add_account, remove_account
from geo.access.roles import ROLE_LABELS, Right, Role
from geo.app.access import ACTION_LABELS, account_table, audit_csv, audit_table
from geo.dates import local_today
from geo.errors import QuartiersmonitorError
from geo.text import file_name
from pages import _auth, _router, _session, _ui

_router.ensure(__file__)
me = _auth.require(Right.ACCOUNTS, title="Konten")

h = _ui.load()
_ui.page_header("Konten", h, caption="Wer sich anmelden darf, mit welcher Rolle, und was angemeldete Konten getan "
                "haben. Konten und Protokoll liegen im Register des Servers.")
store = _auth.access_store()
if message := _session.pop(_session.ACCOUNTS_FLASH):
    st.success(message)
try:
    accounts = store.accounts()
    events = store.audit()
except QuartiersmonitorError as exc:
    _ui.show_error(exc)
    st.stop()

st.subheader(f"Konten ({len(accounts)})")
st.dataframe(account_table(accounts), hide_index=True, width="stretch", placeholder="–")
add_col, remove_col = st.columns(2, gap="large")
with add_col, st.form("k_add", clear_on_submit=True):
    st.markdown("**Konto anlegen oder ändern** (ein vorhandener Name bekommt Rolle und Passwort neu)")
    new_name = st.text_input("Name (für das Konto der Stadt: die E-Mail-Adresse)", key="k_name")
    role = st.selectbox("Rolle", [Role.CITY, Role.OFFICE, Role.ADMIN], format_func=ROLE_LABELS.get, key="k_role")
    oidc = st.checkbox("Nur über das Konto der Stadt anmelden (ohne Passwort)", key="k_oidc")
    first = st.text_input("Passwort", type="password", key="k_pw", autocomplete="new-password")
    second = st.text_input("Passwort wiederholen", type="password", key="k_pw2", autocomplete="new-password")
    save = st.form_submit_button("Konto speichern", type="primary")
if save:
    try:
        if not oidc and first != second:
            raise QuartiersmonitorError("Die beiden Passwörter stimmen nicht überein; nichts wurde gespeichert.")
        saved = add_account(store, new_name, role=role, password=None if oidc else first, by=me.name or "")
    except QuartiersmonitorError as exc:
        add_col.error(str(exc))
    else:
        st.session_state[_session.ACCOUNTS_FLASH] = f"Konto {saved.name!r} gespeichert, Rolle {ROLE_LABELS[saved.role]}."
        st.rerun()
with remove_col:
    st.markdown("**Konto entfernen** (das eigene Konto nicht: so bleibt immer ein Admin)")
    others = [a.name for a in accounts if a.name != me.name]
    gone = st.selectbox("Konto", others, index=None, placeholder="Konto wählen", key="k_remove")
    sure = st.checkbox("Ja, dieses Konto entfernen", key="k_sure", disabled=gone is None)
    if st.button("Entfernen", key="k_remove_go", disabled=not (gone and sure)):
        try:
            remove_account(store, gone or "", by=me.name or "")
        except QuartiersmonitorError as exc:
            st.error(str(exc))
        else:
            st.session_state[_session.ACCOUNTS_FLASH] = f"Konto {gone!r} entfernt."
            st.rerun()

st.subheader("Protokoll")
st.caption("Anmeldungen, Schreiben, Importe, Exporte und Berichte mit personenbezogenen Daten, Konten. "
           "Das Protokoll wird nie geändert; sein Export wird selbst protokolliert.")
names = sorted(set(events["account"].astype(str)))
c1, c2, c3 = st.columns([2, 3, 2])
account = c1.selectbox("Konto", names, index=None, placeholder="alle Konten", key="k_audit_account")
actions = c2.multiselect("Aktion", list(ACTION_LABELS), format_func=ACTION_LABELS.get, placeholder="alle Aktionen",
                         key="k_audit_actions")
today = local_today()
period = c3.date_input("Zeitraum", value=(today - timedelta(days=30), today), max_value=today, format="DD.MM.YYYY",
                       key="k_audit_period")
since, until = period if isinstance(period, tuple) and len(period) == 2 else (None, None)
table = audit_table(events, account=account, actions=actions, since=since, until=until)
st.dataframe(table, hide_index=True, width="stretch", height=420, placeholder="–")
st.download_button(
    f"Protokoll als CSV ({len(table)} Zeilen)",
    data=_auth.audited(lambda: audit_csv(table), AuditAction.EXPORT_PERSONAL, f"Protokoll als CSV, {len(table)} Zeilen"),
    file_name=file_name("protokoll", since, until, suffix="csv"), mime="text/csv", on_click="ignore",
    icon=":material/download:", key="k_audit_csv",
)
