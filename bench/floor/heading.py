"""Reference page of ``bench/bench_pages.py``: Streamlit with a heading and nothing of the app.

How long a fresh browser needs for this page is the floor under every page of the app: Streamlit's
own frontend (its JavaScript loaded and started, the session opened, one run shown).
"""

import streamlit as st

st.title("Boden")
