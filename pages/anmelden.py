"""Anmelden: sign in with a local account (name and password) or, when set up, with the city's account (OIDC).

Without sign-in the app shows the public pages (Übersicht, Präsentation). Accounts are made by an
admin (page *Konten* or ``python -m geo users add``); see :mod:`pages._auth`.
"""

from __future__ import annotations

import streamlit as st

from geo.access.roles import Role
from pages import _auth, _router

_router.ensure(__file__)

st.title("Anmelden")
current = _auth.who()
if current.name is not None and current.role != Role.PUBLIC:
    st.success(f"Angemeldet mit der Rolle {current.label}. Abmelden: links in der Seitenleiste.",
               icon=":material/verified_user:")
    st.page_link(_router.ROOT / _router.DEFAULT_PAGE, label="Zur Übersicht", icon=":material/dashboard:")
    st.stop()
st.caption("Ohne Anmeldung sind die öffentlichen Seiten zu sehen: Übersicht und Präsentation. Karte, Entwicklung "
           "und Berichte (Stadt), Begehungen, Besuche und personenbezogene Daten (Büro) sowie Import und Konten "
           "(Admin) brauchen ein Konto; Konten legt die Administration an.")
_auth.sign_in_form(key="signin", then=lambda: st.switch_page(_router.ROOT / _router.DEFAULT_PAGE))
