"""Reports: the renderers, the JSON report's model, and atomic output."""

from __future__ import annotations


def dealcheck_version() -> str:
    """The version a report names, read from the package each time a report is drawn."""
    import dealcheck

    return dealcheck.__version__
