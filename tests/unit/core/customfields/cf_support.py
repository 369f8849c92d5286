"""A throwaway extensible record type ("gadgets") for the custom field tests.

The table lives on its own MetaData, so migrations never see it; each test
creates it inside its rolled-back transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core import hookimpl
from core.contributions import RecordType
from core.db import NAMING_CONVENTION, Base, JSONType, RecordMixin
from core.records import forget_record_types

PLUGIN_NAME = "cf_test_gadgets"


class GadgetBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = Base.type_annotation_map


class Gadget(RecordMixin, GadgetBase):
    __tablename__ = "cf_test_gadgets"

    name: Mapped[str] = mapped_column(String(100), default="")
    custom: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


GADGET = RecordType(
    name="cf_gadget",
    label="Gadget",
    model=Gadget,
    extensible=True,
    permission_prefix="cftest.gadget",
)
PLAIN = RecordType(name="cf_plain", label="Plain", model=Gadget, extensible=False)


class GadgetPlugin:
    """Declares the gadget record types like a module's hooks would."""

    @hookimpl
    def guanxi_record_types(self) -> list[RecordType]:
        return [GADGET, PLAIN]


@contextlib.contextmanager
def registered_gadgets(app: Any, connection: Any) -> Iterator[RecordType]:
    """Create the gadgets table and declare its record types for the test's duration."""
    Gadget.__table__.create(connection)
    pm = app.registry["modules"].pm
    pm.register(GadgetPlugin(), name=PLUGIN_NAME)
    forget_record_types(app.registry)
    try:
        yield GADGET
    finally:
        pm.unregister(name=PLUGIN_NAME)
        forget_record_types(app.registry)
