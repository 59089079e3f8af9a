"""Scenario input errors: the DC3xx diagnostic codes and what each one means."""

from __future__ import annotations

UNKNOWN_FIELD = "DC301"
MISSING_FIELD = "DC302"
UNDECLARED_NAME = "DC303"
DUPLICATE_ID = "DC304"
DUPLICATE_KEY = "DC305"
MALFORMED_DATE = "DC306"
MALFORMED_QUANTITY = "DC307"
WRONG_FACT_TYPE = "DC308"
WRONG_DIMENSION = "DC309"
MALFORMED_FILE = "DC310"
WRONG_SHAPE = "DC311"
END_BEFORE_START = "DC312"
UNSUPPORTED_YAML = "DC313"
UNMAPPED_PROVIDER = "DC320"
UNSUPPORTED_PLAN = "DC321"

#: Every scenario diagnostic code with a one-line description.
CODES: dict[str, str] = {
    UNKNOWN_FIELD: "unknown field or column",
    MISSING_FIELD: "missing required field or column",
    UNDECLARED_NAME: "party, workload, provider, region or fact not declared in the terms",
    DUPLICATE_ID: "two deployments share an id",
    DUPLICATE_KEY: "the same key twice in one mapping, or the same column twice",
    MALFORMED_DATE: "not an ISO date (YYYY-MM-DD), or not a real day",
    MALFORMED_QUANTITY: "not a quantity such as `300 MW`, or an unknown unit",
    WRONG_FACT_TYPE: "a fact's value does not fit the fact's declared type",
    WRONG_DIMENSION: "a quantity of the wrong dimension (e.g. money where power belongs)",
    MALFORMED_FILE: "unreadable file: bad YAML, JSON or CSV syntax, not UTF-8, empty",
    WRONG_SHAPE: "a value of the wrong shape or type (a list where a mapping belongs, …)",
    END_BEFORE_START: "a deployment ends before it starts",
    UNSUPPORTED_YAML: "a YAML anchor, alias or tag that scenario files do not allow",
    UNMAPPED_PROVIDER: "a plan or inventory resource whose provider the map does not name",
    UNSUPPORTED_PLAN: "not a Terraform plan or asset export dealcheck reads (`format_version`)",
}
