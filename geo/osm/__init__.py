"""OpenStreetMap: download, cache and files, tag classification, register matching, building stock."""
