"""Small SQL builders shared by the visibility modules."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, literal_column


def one_of(column: Any, values: Iterable[StrEnum]) -> ColumnElement[bool]:
    """``column IN ('a', 'b')`` with the constants written into the SQL. A list given to
    ``in_()`` becomes an expanding parameter, rendered anew at every execution, which keeps the
    statement off the driver's compiled path (``app.driver``); these are our own enum values,
    never input, so writing them in is safe."""
    constants = sorted({v.value for v in values})
    for value in constants:
        assert value.replace("_", "").isalnum(), value
    condition: ColumnElement[bool] = column.in_([literal_column(f"'{v}'") for v in constants])
    return condition
