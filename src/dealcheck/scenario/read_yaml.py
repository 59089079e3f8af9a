"""Read YAML scenario text into the raw input tree, with exact spans and no unsafe features."""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import MappingStartEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from dealcheck import limits
from dealcheck.dsl.diagnostics import Diagnostic, Related, error
from dealcheck.dsl.span import Span
from dealcheck.scenario import errors
from dealcheck.scenario.source import LineIndex, quote_tokens
from dealcheck.scenario.tree import Entry, Map, Node, Scalar, Seq, code

_TAG = "tag:yaml.org,2002:"
#: Tags whose scalars stay text. `timestamp` too: dates are validated (with
#: good messages) by the generated validator, not by the YAML loader, which would
#: abort on `2025-02-30`. `merge` and `value` are how YAML 1.1 resolves a bare
#: `<<` or `=`; with anchors rejected they can only be text.
_TEXT_TAGS = frozenset(_TAG + t for t in ("str", "timestamp", "merge", "value"))
_TYPED_TAGS = frozenset(_TAG + t for t in ("null", "bool", "int", "float"))
_COLLECTION_TAGS = frozenset((_TAG + "map", _TAG + "seq"))
#: Deeper than this, a collection is only kept as "a list" or "a mapping" for
#: messages: no scenario value nests deeper (document > deployments > deployment
#: > facts > value).
_MAX_DEPTH = 6


def parse_yaml(text: str, file: str) -> tuple[Node | None, list[Diagnostic]]:
    """Parse one YAML document into a tree.

    Anchors, aliases and tags other than the core schema's are rejected (a
    scenario never needs them, and rejecting them rules out alias bombs and
    object construction). Duplicate keys are kept in the tree and reported by
    the validator, with both places.

    Returns:
        the tree (``None`` for an empty document or one that cannot be used)
        and the diagnostics.
    """
    # Lines and columns come from offsets, counting `\n` only, as every reader does:
    # YAML's own marks also count `\r`, U+0085, U+2028 and U+2029 as line breaks.
    lines = LineIndex.of(file, text)
    yaml = YAML(typ="safe", pure=True)
    _bound_composer(yaml, lines)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root = yaml.compose(text)
    except _OverLimit as exc:
        return None, [exc.diagnostic]
    except MarkedYAMLError as exc:
        return None, [_syntax_error(exc, lines)]
    except YAMLError as exc:  # ReaderError: a character YAML does not allow
        position = getattr(exc, "position", 0)
        character = getattr(exc, "character", "")
        span = lines.span(position, position + 1)
        if isinstance(character, int):
            character = chr(character)
        shown = code(character) + " " if isinstance(character, str) and character else ""
        return None, [
            error(
                errors.MALFORMED_FILE,
                f"invalid YAML: control character {shown}is not allowed",
                span,
                help="remove the character, or write it as an escape in a double-quoted string",
            )
        ]
    except RecursionError:
        return None, [
            error(errors.MALFORMED_FILE, "invalid YAML: nesting too deep", Span.point(file, 1, 1))
        ]
    if root is None:
        return None, []
    problems = _unsupported(root, lines)
    if problems:
        return None, problems
    diagnostics: list[Diagnostic] = []
    return _convert(root, lines, yaml.constructor, diagnostics, 0), diagnostics


class _OverLimit(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _bound_composer(yaml: YAML, lines: LineIndex) -> None:
    """Make `yaml`'s composer stop at `limits.MAX_NESTING` and `limits.MAX_DEPLOYMENTS`.

    The composer builds the node tree recursively, one `compose_node` call a
    node; wrapping that one method (on this instance only) bounds both the
    depth of every list and mapping and the length of every list before they
    are built.
    """
    composer = yaml.composer
    compose_node = composer.compose_node
    max_depth = limits.MAX_NESTING.value()
    max_items = limits.MAX_DEPLOYMENTS.value()
    depth = 0

    def bounded(parent: Any, index: Any) -> Any:
        nonlocal depth
        parser = composer.parser
        if isinstance(parent, SequenceNode) and len(parent.value) >= max_items:
            raise _OverLimit(
                error(
                    limits.MAX_DEPLOYMENTS.code,
                    f"more than {max_items} items in one list",
                    _mark_span(parser.peek_event().start_mark, lines),
                    help="split the scenario, or "
                    + limits.over_limit_help(limits.MAX_DEPLOYMENTS),
                )
            )
        if not parser.check_event(MappingStartEvent, SequenceStartEvent):
            return compose_node(parent, index)
        depth += 1
        try:
            if depth > max_depth:
                raise _OverLimit(
                    error(
                        limits.MAX_NESTING.code,
                        f"YAML nested deeper than {max_depth} levels",
                        _mark_span(parser.peek_event().start_mark, lines),
                        help="a scenario nests four levels deep: document, deployments, "
                        "deployment, facts",
                    )
                )
            return compose_node(parent, index)
        finally:
            depth -= 1

    composer.compose_node = bounded


def _mark_span(mark: Any, lines: LineIndex) -> Span:
    return lines.span(mark.index, mark.index + 1)


def _unsupported(root: Any, lines: LineIndex) -> list[Diagnostic]:
    """Anchors, aliases and unsupported tags anywhere in the document.

    Walks the composed graph once, visiting each node once: an alias is the
    same node object as its anchor, so a billion-laughs document costs no more
    than its text.
    """
    found: list[Diagnostic] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue  # reached through an alias; its anchor is reported already
        seen.add(id(node))
        tag = str(node.tag)
        if getattr(node, "anchor", None) is not None:
            found.append(
                error(
                    errors.UNSUPPORTED_YAML,
                    f"YAML anchor `&{node.anchor}` is not allowed here",
                    _span(node, lines),
                    help="scenario files do not use anchors or aliases: "
                    "write each deployment out in full",
                )
            )
            continue
        if not (tag in _TEXT_TAGS or tag in _TYPED_TAGS or tag in _COLLECTION_TAGS):
            shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
            found.append(
                error(
                    errors.UNSUPPORTED_YAML,
                    f"unsupported YAML tag {code(shown)}",
                    _span(node, lines),
                    help="scenario files use plain values: text, numbers, booleans, dates, "
                    "lists and mappings",
                )
            )
            continue
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((value, key))
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
    return found


def _convert(
    node: Any, lines: LineIndex, constructor: Any, diagnostics: list[Diagnostic], depth: int
) -> Node:
    span = _span(node, lines)
    if isinstance(node, MappingNode):
        if depth >= _MAX_DEPTH:
            return Map((), span)
        entries: list[Entry] = []
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                diagnostics.append(
                    error(
                        errors.WRONG_SHAPE,
                        "a key must be a name, found a "
                        + ("list" if isinstance(key, SequenceNode) else "mapping"),
                        _span(key, lines),
                    )
                )
                continue
            entries.append(
                Entry(
                    str(key.value),
                    _span(key, lines),
                    _convert(value, lines, constructor, diagnostics, depth + 1),
                )
            )
        return Map(tuple(entries), span)
    if isinstance(node, SequenceNode):
        if depth >= _MAX_DEPTH:
            return Seq((), span)
        return Seq(
            tuple(
                _convert(item, lines, constructor, diagnostics, depth + 1) for item in node.value
            ),
            span,
        )
    tag = str(node.tag)
    if tag in _TEXT_TAGS:
        return Scalar(str(node.value), span)
    try:
        if tag == _TAG + "null":
            return Scalar(None, span)
        if tag == _TAG + "bool":
            return Scalar(bool(constructor.construct_yaml_bool(node)), span)
        if tag == _TAG + "int":
            return Scalar(int(constructor.construct_yaml_int(node)), span)
        return Scalar(_exact_float(node), span)
    except (YAMLError, ArithmeticError, ValueError):
        # INVARIANT: the resolver only tags what these constructors accept; text otherwise.
        return Scalar(str(node.value), span)


def _exact_float(node: Any) -> Decimal:
    """A YAML float as the exact decimal it spells (``9007199254740993.0``, ``1_000.5``).

    ``.inf`` and ``.nan`` become the decimal infinity and NaN, which the
    validator refuses as it refuses any other number that is not finite.
    """
    text = str(node.value).replace("_", "")
    special = {".inf": "Infinity", ".nan": "NaN"}.get(text.lstrip("+-").lower())
    if special is not None:
        return Decimal(("-" if text.startswith("-") else "") + special)
    return Decimal(text)


def _span(node: Any, lines: LineIndex) -> Span:
    return lines.span(node.start_mark.index, node.end_mark.index)


def _syntax_error(exc: MarkedYAMLError, lines: LineIndex) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "malformed YAML"
    span = _mark_span(mark, lines) if mark is not None else Span.point(lines.file, 1, 1)
    related = []
    context = exc.context if exc.problem else None
    if context and not context.startswith("while"):
        problem = f"{context}, {problem}"  # "expected a single document …, but found another"
    elif context and exc.context_mark is not None:
        where = lines.span(exc.context_mark.index, exc.context_mark.index)
        related.append(Related(where, quote_tokens(context)))
    hint = None
    if "\\t" in problem:
        hint = "indent with spaces: YAML does not allow tabs"
    elif "single document" in problem:
        hint = "a scenario file holds one document: remove the `---` separator"
    return error(
        errors.MALFORMED_FILE,
        f"invalid YAML: {quote_tokens(problem)}",
        span,
        help=hint,
        related=related,
    )
