"""Outputs: folium maps, charts, static maps, figures, the period report, tables."""
