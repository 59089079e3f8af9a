"""Evaluation: verdicts, explanations, aggregates, reports and their renderers."""
