"""The dsl stage: grammar, Lark tree to typed AST, spans, diagnostics, formatter."""
