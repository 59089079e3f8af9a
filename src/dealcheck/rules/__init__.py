"""The resolved terms model: vocabulary, clauses, amendments, units; static analysis."""
