"""Evaluation: compile, the evaluators, aggregates, results and explanations."""
