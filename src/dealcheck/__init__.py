"""dealcheck: check proposed deployments against the terms of partnership agreements."""

__version__ = "0.1.0"
