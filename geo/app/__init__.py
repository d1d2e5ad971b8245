"""The app's presenter: what the Streamlit pages show, computed without Streamlit.

* :mod:`geo.app.filters` -- the filter state of a view, its URL form, the register it selects;
* :mod:`geo.app.figures` -- key figures, tables per area, longest vacancies, periods;
* :mod:`geo.app.units` -- one unit: search, labels, details, history;
* :mod:`geo.app.mapdata` -- map data of a view and of a before/after comparison;
* :mod:`geo.app.exchange` -- uploads to import, exports, charts and maps for download;
* :mod:`geo.app.display` -- sector labels, German number format, Markdown tables;
* :mod:`geo.app.access` -- who a session is and why a page is not for it, accounts and the audit trail;
* :mod:`geo.app.serverfiles` -- files of the server's data folder, offered by name (never a typed path).

Public views (roles without personal data, public export) show only the columns on the
whitelists of :mod:`geo.register.model` (:data:`geo.register.model.PUBLIC_COLUMNS`): no personal
data, notes, staff names, address notes or free-text sources.
"""
