"""dealcheck's version, in one place: the package metadata (pyproject.toml), the facade
and report headers all read it from here."""

__version__ = "0.1.0"
