"""The same checks as SQL: the evaluation plan and the engines that run it (DuckDB)."""
