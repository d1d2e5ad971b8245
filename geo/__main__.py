"""``python -m geo``: the Quartiersmonitor command line."""

from geo.cli import main

raise SystemExit(main())
