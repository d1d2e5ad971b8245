"""The register: data model, stores, history and figures, import and export."""
