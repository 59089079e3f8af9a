"""Regions: leaf boxes of one outcome merged into few, and said in the deal's own words.

Two boxes that differ on one axis only merge into one (the union on that
axis): the result is still a product, so every deployment inside it is
inside one of the leaves merged, and gets their outcome. Start dates merge
only when the union stays one run of days, so that each region reads "from
… through …".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from dealcheck.analysis.space import Axis, Box, Piece, Space
from dealcheck.checker.logic import describe
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity

K = TypeVar("K", bound=Hashable)


def _contiguous(pieces: frozenset[int]) -> bool:
    return max(pieces) - min(pieces) + 1 == len(pieces)


def _merge_axis(boxes: list[Box], at: int, runs_only: bool) -> tuple[list[Box], bool]:
    groups: dict[Box, list[frozenset[int]]] = {}
    for box in boxes:
        groups.setdefault(box[:at] + box[at + 1:], []).append(box[at])
    out: list[Box] = []
    changed = False
    for key, sets in groups.items():
        merged: list[frozenset[int]] = []
        if runs_only:
            for s in sorted(sets, key=min):
                if merged and max(merged[-1]) + 1 == min(s) and _contiguous(s):
                    merged[-1] = merged[-1] | s
                else:
                    merged.append(s)
        else:
            merged = [frozenset().union(*sets)]
        changed = changed or len(merged) < len(sets)
        out += [(*key[:at], s, *key[at:]) for s in merged]
    return out, changed


def merge_boxes(space: Space, boxes: Iterable[Box]) -> list[Box]:
    """The boxes merged while any two differ on one axis only (deterministic)."""
    current = list(dict.fromkeys(boxes))
    start = space.index("start")
    # Facts and fields first, then names, the dates last: regions read by clause scope.
    order = [*range(start + 1, len(space.axes)), *range(start - 1, -1, -1), start]
    changed = True
    while changed:
        changed = False
        for at in order:
            current, moved = _merge_axis(current, at, runs_only=at == start)
            changed = changed or moved
    return sorted(current, key=lambda b: _box_key(space, b))


def _box_key(space: Space, box: Box) -> tuple[object, ...]:
    start = space.index("start")
    return (min(box[start]), *(tuple(sorted(s)) for s in box))


def group_by(pairs: Iterable[tuple[K, Box]]) -> dict[K, list[Box]]:
    out: dict[K, list[Box]] = {}
    for key, box in pairs:
        out.setdefault(key, []).append(box)
    return out


# ---------------------------------------------------------------- words


def show(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _amount(piece: Piece, value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    assert piece.dimension is not None
    return str(Quantity(value, piece.dimension))  # type: ignore[arg-type]


def _runs(axis: Axis, chosen: Sequence[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in chosen:
        piece = axis.pieces[i]
        last = runs[-1] if runs else None
        if (last is not None and last[-1] + 1 == i and not piece.absent
                and not axis.pieces[last[-1]].absent
                and axis.pieces[last[-1]].dimension == piece.dimension):
            last.append(i)
        else:
            runs.append([i])
    return runs


def _interval(axis: Axis, run: list[int]) -> dict[str, object] | str:
    first, last = axis.pieces[run[0]], axis.pieces[run[-1]]
    if first.absent:
        return "unknown"
    if axis.kind == "dates":
        return {"from": None if first.low is None else show(first.low),
                "through": None if last.high is None else show(last.high)}
    out: dict[str, object] = {
        "min": None if first.low is None else _amount(first, first.low),
        "max": None if last.high is None else _amount(last, last.high)}
    if first.low is not None and not first.low_in:
        out["min_exclusive"] = True
    if last.high is not None and not last.high_in:
        out["max_exclusive"] = True
    if first.low is None and last.high is None:
        out["unit"] = first.dimension
    return out


def _interval_text(value: dict[str, object] | str) -> str:
    if isinstance(value, str):
        return value
    if "from" in value:
        low, high = value["from"], value["through"]
        if low is not None and low == high:
            return f"on {low}"
        words = [f"from {low}" if low else "", f"through {high}" if high else ""]
        return " ".join(w for w in words if w) or "on any date"
    low, high = value["min"], value["max"]
    parts = []
    if low is not None:
        parts.append(f"{'above' if value.get('min_exclusive') else 'at least'} {low}")
    if high is not None:
        parts.append(f"{'below' if value.get('max_exclusive') else 'at most'} {high}")
    if low is not None and low == high:
        return f"exactly {low}"
    return " and ".join(parts) or f"any amount in {value.get('unit')}"


def axis_json(axis: Axis, pieces: frozenset[int]) -> object:
    """One axis of a region as the JSON report gives it (None: any value)."""
    if len(pieces) == len(axis.pieces):
        return None
    chosen = sorted(pieces)
    if axis.kind in ("names", "values"):
        values = [axis.pieces[i].value for i in chosen]
        return [("unknown" if v is None else v) for v in values]
    intervals = [_interval(axis, run) for run in _runs(axis, chosen)]
    if axis.name == "start" or axis.fact is None:
        return intervals[0] if len(intervals) == 1 else intervals
    return [_interval_text(i) for i in intervals]


def region_json(space: Space, box: Box) -> dict[str, object]:
    """A region as `dealcheck diff --format json` writes it."""
    out: dict[str, object] = {}
    facts: dict[str, object] = {}
    relations: list[dict[str, object]] = []
    for axis, pieces in zip(space.axes, box, strict=True):
        if axis.relation is not None:
            if len(pieces) == 1:
                relations.append({"condition": describe(space.relations[axis.relation]),
                                  "holds": 0 in pieces})
            continue
        shown = axis_json(axis, pieces)
        if axis.fact is not None:
            if shown is not None:
                facts[axis.fact] = shown
        elif axis.name == "start":
            out["dates"] = shown
        else:
            out[axis.name] = shown
    out["facts"] = facts
    shown = {k: out[k] for k in ("party", "workload", "provider", "region", "dates", "facts",
                                 "capacity", "value", "end")}
    if relations:
        shown["relations"] = relations
    return shown


def _names_text(values: Sequence[str], groups: Mapping[str, frozenset[str]],
                everything: Sequence[str], noun: str) -> str:
    chosen = frozenset(values)
    for group, members in sorted(groups.items()):
        if members == chosen:
            return group
    if len(values) > 1 and len(values) > len(everything) - len(values):
        others = [v for v in everything if v not in chosen]
        return f"any {noun} but " + ", ".join(others)
    return ", ".join(values)


def region_text(space: Space, box: Box, vocabulary: m.Vocabulary) -> str:
    """A region in words: ``OpenAI runs api_products off Azure, from 2025-10-28, when …``."""
    shown = region_json(space, box)
    axes = {a.name: a for a in space.axes}

    def names(kind: str) -> list[str]:
        return [str(p.value) for p in axes[kind].pieces if p.value is not None]

    party = shown["party"]
    who = "any party" if party is None else _names_text(party, {}, names("party"),  # type: ignore[arg-type]
                                                        "party")
    workload = shown["workload"]
    what = "any workload" if workload is None else _names_text(
        workload, vocabulary.workload_groups, names("workload"), "workload")  # type: ignore[arg-type]
    words = [f"{who} runs {what}"]
    provider = shown["provider"]
    if provider is not None:
        chosen: list[str] = provider  # type: ignore[assignment]
        everything = names("provider")
        others = [p for p in everything if p not in chosen]
        if len(others) < len(chosen):
            words.append("off " + ", ".join(others))
        else:
            words.append("on " + _names_text(chosen, vocabulary.provider_groups, everything,
                                             "provider"))
    region = shown["region"]
    if region is not None:
        words.append("in " + " or ".join(str(r) for r in region))  # type: ignore[attr-defined]
    text = " ".join(words)
    extra = []
    if shown["dates"] is not None:
        extra.append(", ".join(_interval_text(i) for i in _listed(shown["dates"])))
    conditions = [f"{k} {_or(v)}" for k, v in shown["facts"].items()]  # type: ignore[attr-defined]
    for field_name in ("end", "capacity", "value"):
        if shown[field_name] is not None:
            conditions.append(f"{field_name} " + " or ".join(
                _interval_text(i) for i in _listed(shown[field_name])))
    for relation in shown.get("relations", ()):  # type: ignore[attr-defined]
        conditions.append(("" if relation["holds"] else "not ") + str(relation["condition"]))
    if conditions:
        extra.append("when " + " and ".join(conditions))
    return ", ".join([text, *extra])


def _listed(value: object) -> list[dict[str, object] | str]:
    return value if isinstance(value, list) else [value]  # type: ignore[list-item]


def _or(values: object) -> str:
    items = [show(v) for v in values]  # type: ignore[attr-defined]
    if len(items) == 1 and " " not in items[0] and items[0] != "unknown":
        return "= " + items[0]
    return "is " + " or ".join(items)
