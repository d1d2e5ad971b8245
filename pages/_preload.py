"""What a fresh browser loads ahead: the code of the app's tables, while the user signs in.

Streamlit's frontend loads the code of an element kind the first time one is shown; the table's
(``st.dataframe``) is 1.5 MB of JavaScript (0.3-0.5 s in a fresh browser here), which nearly every
page behind the sign-in shows. :func:`table_code` puts a hidden one-cell table below the sign-in
form, so that the code is there when the signed-in page comes. Nothing of it is visible or read by
assistive technology (``display: none``).
"""

from __future__ import annotations

import streamlit as st

#: Key of the hidden container (Streamlit gives it the class ``st-key-…``).
KEY = "qm_preload"


def table_code() -> None:
    """A hidden one-cell table (see the module's text)."""
    st.html(f"<style>.st-key-{KEY} {{ display: none; }}</style>")
    with st.container(key=KEY):
        st.dataframe({"": [""]}, hide_index=True)
