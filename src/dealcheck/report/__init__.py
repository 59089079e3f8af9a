"""Reports: the renderers, the JSON report's model, and atomic output."""
