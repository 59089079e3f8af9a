"""Hypothesis strategies and the pytest plugin for dealcheck terms and scenarios."""
