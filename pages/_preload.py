"""What a fresh browser loads ahead: the code of the pages' elements, while the user signs in.

Streamlit's frontend loads the code of an element kind the first time one is shown (the table's,
``st.dataframe``, alone is 1.5 MB of JavaScript), and shows a run's elements once the code of all
of them is there. In a fresh browser that was a good part of the time after the sign-in on the
pages behind it. :func:`element_code` puts one hidden element of each kind those pages show below
the sign-in form -- the table, the choosers, date field, radio buttons, check box, slider, buttons
and HTML text -- so that the code is there when the signed-in page comes (an empty map as well,
which would load the map component and Leaflet, gained nothing measurable). Nothing of it is
visible, takes room or is read by assistive technology (``display: none``).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

#: Key of the hidden container (Streamlit gives it the class ``st-key-…``).
KEY = "qm_preload"

#: The style rule that hides the container (tests look for it).
STYLE = f".st-key-{KEY} {{ display: none; }}"

#: Label of every hidden widget (tests tell them from the page's own by it).
LABEL = "Vorab geladen"


def element_code() -> None:
    """The hidden elements (see the module's text)."""
    st.html(f"<style>{STYLE}</style>")
    with st.container(key=KEY):
        st.dataframe({"": [""]}, hide_index=True)
        st.selectbox(LABEL, [""], label_visibility="collapsed")
        st.multiselect(LABEL, [""], label_visibility="collapsed")
        st.date_input(LABEL, date(2000, 1, 1), format="DD.MM.YYYY", label_visibility="collapsed")
        st.radio(LABEL, [""], label_visibility="collapsed")
        st.checkbox(LABEL, label_visibility="collapsed")
        st.slider(LABEL, 0, 1, label_visibility="collapsed")
        st.button(LABEL)
        st.download_button(LABEL, b"")
        st.markdown("<span></span>", unsafe_allow_html=True)
