"""Source locations: the one `Span` type every node and diagnostic carries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range of characters in one source file.

    Lines and columns are 1-based, as editors show them; offsets are 0-based.
    Spans never take part in AST equality (nodes declare them with
    ``compare=False``), so that ``parse(fmt(x)) == parse(x)`` holds.
    """

    file: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, file: str, line: int, column: int, offset: int = 0) -> Span:
        """A zero-width span, for places such as the end of a file."""
        return cls(file, offset, offset, line, column, line, column)

    def to(self, other: Span) -> Span:
        """The span from the start of `self` to the end of `other`."""
        return Span(
            self.file, self.start, other.end, self.line, self.column,
            other.end_line, other.end_column,
        )


UNKNOWN_SPAN = Span("<unknown>", 0, 0, 1, 1, 1, 1)
