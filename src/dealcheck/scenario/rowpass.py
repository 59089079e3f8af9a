"""One pass over a batch of plain dicts: each row checked, and judged, as it is read.

`Terms.check` on dicts reads each row once, in a loop generated for the
optional fields batches have given (`_loop_source`; a row's length tells
whether it gives one more): each value is looked up in a memo of
the values its field's schema (the one `scenario.generated` applies to a
whole deployment) found valid as they are, the schema itself checking each
new value once; and, when a judge is given (`checker.batch`), the row's
outcome is computed by the evaluator its day and names select, in the same
pass. No rule is written here: only which values can be remembered (those of
`_COLUMN_TYPES` and `_FACT_TYPES`, equal only when they are the same value;
a value equal to a remembered one passes as it, so a fact's value must also
be of the remembered type: `1` is not `True`). Anything else gives the
batch up (None), and the validator of whole deployments, with its
diagnostics, looks closer.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pydantic_core import SchemaValidator, ValidationError

from dealcheck.scenario.generated import FIELDS, REQUIRED_FIELDS

_NONE = type(None)
#: The types of a field's values remembered once valid: equal only when they are the same value.
_COLUMN_TYPES: dict[str, frozenset[type]] = {
    "party": frozenset((str,)), "workload": frozenset((str,)), "provider": frozenset((str,)),
    "start": frozenset((str, dt.date)), "region": frozenset((str, _NONE)),
    "end": frozenset((str, dt.date, _NONE)), "capacity": frozenset((str, _NONE)),
    "value": frozenset((str, _NONE)),
}
#: The fields whose valid values are their own validated values (declared names).
_AS_GIVEN = frozenset(("party", "workload", "provider", "region"))
#: The types of fact values remembered once valid as given.
_FACT_TYPES = frozenset((bool, str))
#: Values a memo holds before it starts again.
_MEMO_LIMIT = 1 << 16
#: The fields that are optional, read with `dict.get` and remembered with None valid.
_OPTIONAL = ("region", "end", "capacity", "value")
_ID = operator.itemgetter("id")
#: The fields every row gives.
_REQUIRED = frozenset(REQUIRED_FIELDS)
#: Every field of a deployment.
_FIELDS = frozenset(FIELDS)

#: A table of evaluators: party -> workload -> the evaluator of a plain dict.
Table = dict[str, dict[str, Any]]
#: field -> value given -> its validated value, for values valid once checked.
Memos = dict[str, dict[object, object]]
#: What the pass knows of a start given: its validated date, the day judged on, its table.
_Day = tuple[dt.date, dt.date, Table | None]
#: A generated loop: each start given -> its `_Day`, or None when a row is invalid as it is.
_Loop = Callable[..., dict[object, _Day] | None]


class Refused(Exception):
    """A value not valid as it is given: the batch goes to the validator of whole deployments."""


class _Wider(Exception):
    """A row gives optional fields the loop does not read: the pass starts again, reading them."""

    def __init__(self, fields: frozenset[str]) -> None:
        super().__init__(*sorted(fields))
        self.fields = fields


class Judge(Protocol):
    """What the pass needs to judge each row as it reads it (`checker.batch.DictJudge`)."""

    @property
    def as_of(self) -> dt.date | None:
        """The day every row is judged on, else None (each on its start)."""

    @property
    def constant(self) -> object:
        """The outcome of a key no clause can scope: `table` and `make` give it as is."""

    def table(self, day: dt.date, start: dt.date) -> Table:
        """The evaluators of `day` for a row starting on `start` (filled as keys are met)."""

    def make(self, day: dt.date, start: dt.date, party: str, workload: str, memos: Memos) -> Any:
        """The evaluator of a key first met on `day` and `start` (declared names), or `constant`.

        It reads the batch's values in `memos`, each filled before it is called.
        """

    def restart(self) -> None:
        """Forget every row judged so far: the pass reads the batch again from its first row."""


class RowPass:
    """The per-row pass of one vocabulary's field schemas, with its memos of valid values."""

    __slots__ = ("_columns", "_facts", "_ids", "_loops", "_memos", "_shape")

    def __init__(self, columns: Mapping[str, SchemaValidator]) -> None:
        self._columns = columns
        #: field -> value given -> its validated value, for values valid once checked.
        self._memos = _fresh_memos()
        #: fact -> value -> its type, for values valid as given.
        self._facts: dict[str, dict[object, type]] = {}
        self._loops: dict[tuple[frozenset[str], bool], _Loop] = {}
        #: The ids of the last batch that passed, each valid as it is.
        self._ids: set[str] = set()
        #: The optional fields the loop reads: every one a batch has given so far.
        self._shape: frozenset[str] = frozenset()

    def value(self, memos: Memos, name: str, given: object) -> object:
        """`given`'s validated value in the field `name`, remembered in `memos`.

        Raises:
            Refused: when it is of a type not remembered, or valid only as another value.
            pydantic_core.ValidationError: when it is refused.
        """
        if type(given) not in _COLUMN_TYPES[name]:
            raise Refused(name)
        made = given if given is None else self._columns[name].validate_python([given])[0]
        if name in _AS_GIVEN and (type(made) is not type(given) or made != given):
            raise Refused(name)
        memos[name][given] = made
        return made

    def memos(self) -> Memos:
        """field -> value given -> its validated value: those the next batch is read with.

        A batch's rows are read with them (`columns.DictBatch.row`); a batch
        starts with new ones once they hold too many, and the memos of a batch
        read before stay as they were.
        """
        if max(map(len, self._memos.values())) > _MEMO_LIMIT:
            self._memos = _fresh_memos()
        if sum(map(len, self._facts.values())) > _MEMO_LIMIT:
            self._facts = {}
        return self._memos

    def valid_ids(self, ids: set[str], items: list[dict[str, Any]]) -> bool:
        """Whether the ids of `items`, `ids` once each, are valid as they are and distinct.

        The id schema checks them (in the order given: an order that follows
        memory, not hashes), unless each is an id of the last batch that
        passed (a batch checked again, as of another day, say).
        """
        if len(ids) != len(items):
            return False
        if not ids <= self._ids:
            given = list(map(_ID, items))
            try:
                if self._columns["id"].validate_python(given) != given:
                    return False
            except ValidationError:
                return False
        self._ids = ids
        return True

    def fact(self, name: str, given: object) -> None:
        """Remember that `given` is valid as it is for the fact `name`.

        Raises:
            Refused: when it is of another type, or valid only as another value.
            pydantic_core.ValidationError: when it is refused.
        """
        if type(given) not in _FACT_TYPES:
            raise Refused(name)
        valid = self._columns["facts"].validate_python([{name: given}])[0][name]
        if type(valid) is not type(given) or valid != given:
            raise Refused(name)
        self._facts.setdefault(name, {})[given] = type(given)

    def run(self, memos: Memos, items: list[dict[str, Any]], ids: set[str],
            judge: Judge | None, outcomes: list[Any],
            row_of: Callable[[dict[str, Any], dt.date], object]) -> set[dt.date] | None:
        """Read every row of `items`, adding ids, appending outcomes.

        Each start given is in `memos` after, with its validated date. A row
        that gives an optional field the loop does not read yet has the pass
        start again with a loop that reads it (the rows read so far forgotten).

        The distinct starts; None when a row is invalid as it is (not exactly a dict, an `end`
        before its `start`, a `facts` that is not a dict).

        Raises:
            Refused, KeyError, TypeError, pydantic_core.ValidationError: when a
            value is not valid as it is, a field is not one of a deployment's,
            a required field is left out, or a value cannot be a key.
        """
        while True:
            try:
                return self._run(memos, items, ids, judge, outcomes, row_of)
            except _Wider as wider:
                self._shape |= wider.fields
                ids.clear()
                outcomes.clear()
                if judge is not None:
                    judge.restart()

    def _run(self, memos: Memos, items: list[dict[str, Any]], ids: set[str],
             judge: Judge | None, outcomes: list[Any],
             row_of: Callable[[dict[str, Any], dt.date], object]) -> set[dt.date] | None:
        shape = (self._shape, judge is not None)
        loop = self._loops.get(shape)
        if loop is None:
            namespace: dict[str, Any] = {}
            exec(compile(_loop_source(*shape), "<dealcheck row pass>", "exec"), namespace)
            loop = self._loops[shape] = namespace["scan"]
        read = _REQUIRED | self._shape

        def odd(d: dict[str, Any]) -> None:
            # A row whose length its fields read do not explain: a field given as None
            # (fine), one the loop does not read (`_Wider`), or one no deployment has.
            extra = d.keys() - read
            if extra:
                raise _Wider(frozenset(extra)) if extra <= _FIELDS else Refused(extra)

        start_memo = memos["start"]
        value = functools.partial(self.value, memos)

        def day_of(given: object) -> _Day:
            start = start_memo[given] if given in start_memo else value("start", given)
            assert isinstance(start, dt.date)  # INVARIANT: the start schema makes dates
            if judge is None:
                return start, start, None
            day = judge.as_of or start
            return start, day, judge.table(day, start)

        def make(table: Table, day: dt.date, start: dt.date, party: str, workload: str) -> object:
            for name, given in (("party", party), ("workload", workload)):
                if given not in memos[name]:
                    value(name, given)
            assert judge is not None  # INVARIANT: called only when judging
            found = judge.make(day, start, party, workload, memos)
            table.setdefault(party, {})[workload] = found
            return found

        days = loop(
            items, ids.add, outcomes.append, day_of, make, odd, row_of, memos,
            self._facts, value, self.fact, None if judge is None else judge.constant)
        return None if days is None else {start for start, _, _ in days.values()}


def _fresh_memos() -> dict[str, dict[object, object]]:
    memos: dict[str, dict[object, object]] = {name: {} for name in _COLUMN_TYPES}
    for name in _OPTIONAL:
        memos[name][None] = None
    return memos


def check_rows(rows: RowPass, memos: Memos, items: list[dict[str, Any]],
               ids: set[str], judge: Judge | None, outcomes: list[Any],
               row_of: Callable[[dict[str, Any], dt.date], object]) -> set[dt.date] | None:
    """`RowPass.run`, None instead of an exception when a row is not valid as it is."""
    try:
        return rows.run(memos, items, ids, judge, outcomes, row_of)
    except (Refused, KeyError, TypeError, ValidationError):
        # KeyError: a required field left out; TypeError: an unhashable value.
        return None


def _loop_source(optional: frozenset[str], judged: bool) -> str:
    """The loop over a batch's rows that give the `optional` fields (and `judged`: judge them)."""
    body = ["idadd(d['id'])", "s = d['start']",
            "try:", "    start, day, table = days[s]",
            "except KeyError:", "    start, day, table = days[s] = day_of(s)",
            "party = d['party']", "workload = d['workload']"]
    if judged:
        body += ["try:", "    fn = table[party][workload]",
                 "except KeyError:", "    fn = make(table, day, start, party, workload)"]
    else:
        body += ["if party not in M_party:", "    valid('party', party)",
                 "if workload not in M_workload:", "    valid('workload', workload)"]
    body += ["provider = d['provider']", "if provider not in M_provider:",
             "    valid('provider', provider)"]
    for name in _OPTIONAL:
        if name == "end" and name in optional:
            body += ["end_ = g('end')", "try:", "    end = M_end[end_]",
                     "except KeyError:", "    end = valid('end', end_)",
                     "if end is not None and end < start:", "    return None"]
        elif name in optional:
            body += [f"{name} = g({name!r})", f"if {name} not in M_{name}:",
                     f"    valid({name!r}, {name})"]
    if "facts" in optional:
        body += ["facts = g('facts')", "if facts is not None:",
                 "    if type(facts) is not dict:", "        return None",
                 "    for k, v in facts.items():",
                 "        try:",
                 "            if F[k][v] is not type(v):", "                fact(k, v)",
                 "        except KeyError:", "            fact(k, v)"]
    given = [("end_" if name == "end" else name) for name in (*_OPTIONAL, "facts")
             if name in optional]
    body += [f"if len(d) != {len(_REQUIRED)}"
             + "".join(f" + ({name} is not None)" for name in given) + ":", "    odd(d)"]
    if judged:
        body.append("oapp(fn if fn is CONSTANT else fn(d, day, start, row_of, provider, "
                    f"{'region' if 'region' in optional else 'None'}, "
                    f"{'facts' if 'facts' in optional else 'None'}))")
    lines = ["def scan(items, idadd, oapp, day_of, make, odd, row_of, memos, F, valid, fact,"
             " CONSTANT):",
             *(f"    M_{name} = memos[{name!r}]" for name in _COLUMN_TYPES),
             "    days = {}",
             "    for d in items:",
             "        if type(d) is not dict:",
             "            return None",
             "        g = d.get",
             *("        " + line for line in body),
             "    return days"]
    return "\n".join(lines) + "\n"
