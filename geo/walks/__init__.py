"""Outreach walks: walking network and tour, stop rules and visits, QField, walk sheet."""
