"""dealcheck's version, in one place: the facade exports it, report headers default to it."""

__version__ = "0.1.0"
