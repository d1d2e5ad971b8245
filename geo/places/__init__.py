"""Places: Ortsteile and quarters (boundaries, configuration, spatial assignment)."""
