"""Quartiersmonitor – Streamlit app. This file only routes; the pages live in ``pages/``.

Run with ``./dev app`` (``python -m pages._serve``: the libraries imported before the
server answers, then ``streamlit run streamlit_app.py``), or plainly with ``streamlit run
streamlit_app.py``. The register
is the working copy of the demo unless ``QM_STORE`` names another store or
one is opened on the page „Daten“. The menu is defined in ``pages/_router.py``.
"""

from pages import _router

_router.run()
