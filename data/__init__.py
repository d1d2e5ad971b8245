"""The project's own data, shipped in the wheel as package ``geo.data``.

Read through :data:`geo.settings.data_dir` (``importlib.resources``): the fictional demo
register and walking network, the official Ortsteil boundaries, the quarter configuration.
See ``data/README.md`` where present.
"""
