"""``guanxi keys rotate``: a new encryption key, and every encrypted value moved onto it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session
from zope.sqlalchemy import mark_changed

from core.cli import CommandError, command
from core.crypto import (
    CryptoError,
    EncryptedString,
    KeyRingError,
    get_keyring,
    reencrypt_column,
)
from core.db import Base


def encrypted_columns() -> list[Column]:
    """Every ``EncryptedString`` column of every mapped model (core and installed modules)."""
    found: dict[tuple[str, str], Column] = {}
    for mapper in Base.registry.mappers:
        for column in mapper.local_table.columns:
            if isinstance(column.type, EncryptedString):
                found[column.table.name, column.name] = column
    return [found[key] for key in sorted(found)]


def reencrypt_all(session: Session, batch_size: int) -> list[tuple[str, int]]:
    """Re-encrypt every encrypted column under the current key; ``(table.column, rows)``."""
    results = [
        (f"{column.table.name}.{column.name}", reencrypt_column(session, column, batch_size))
        for column in encrypted_columns()
    ]
    mark_changed(session)  # Core UPDATEs only: tell the transaction manager to commit them
    return results


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["rotate"])
    parser.add_argument(
        "--batch-size", type=int, default=500, help="rows per UPDATE batch (default: %(default)s)"
    )


@command("keys", "rotate the field-encryption key and re-encrypt stored values", _arguments)
def keys(args: argparse.Namespace, env: Any) -> int:
    """Add a key to the key file, make it current and re-encrypt every encrypted column."""
    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    env.app  # noqa: B018 - loading the app configures the keyring and imports every model
    try:
        new_id = get_keyring().rotate(Path(env.settings["guanxi.var_dir"]))
    except KeyRingError as exc:
        raise CommandError(str(exc)) from None
    print(f"new current key: {new_id}")
    try:
        with env.session() as session:
            results = reencrypt_all(session, args.batch_size)
    except CryptoError as exc:
        raise CommandError(
            f"re-encryption failed and was rolled back ({exc}); key {new_id} stays current "
            "and the old keys still decrypt everything"
        ) from None
    for name, count in results:
        print(f"{name}: {count} re-encrypted")
    print(
        "Restart every web and worker process now: they read the keys at startup and "
        "cannot decrypt values under the new key until then."
    )
    return 0
