"""``guanxi import`` and ``guanxi export``: the import pipeline and export writer from a shell.

Both act as a user (``--as``, default: the first administrator), within that
user's permissions and data scope, exactly like the pages; both are audited.
An import is kept like one made on the pages (its result page can undo it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import select

from core.cli import CommandError, command
from core.tabular.models import DUPLICATE_POLICIES


def acting_user(env: Any, name: str | None) -> str | int:
    """``--as`` or, without it, the first active administrator."""
    if name:
        return name
    from core.security.models import Role, User, user_roles

    with env.session() as session:
        admin = session.scalars(
            select(User.id)
            .join(user_roles, user_roles.c.user_id == User.id)
            .join(Role, Role.id == user_roles.c.role_id)
            .where(Role.key == "admin", User.is_active)
            .order_by(User.id)
        ).first()
    if admin is None:
        raise CommandError("no active administrator: give --as USERNAME")
    return admin


@contextlib.contextmanager
def refusals(type_name: str, action: str, user: str | None) -> Iterator[None]:
    """Turn what ``run_import`` / ``export_to_file`` refuse into messages for the shell."""
    from core.acting import NoSuchUser
    from core.api.problems import ProblemError
    from core.tabular.errors import FileRefused

    try:
        yield
    except KeyError:
        raise CommandError(f"nothing called {type_name} can be {action}ed") from None
    except PermissionError as exc:
        raise CommandError(f"the user may not {action} {type_name} ({exc})") from None
    except NoSuchUser:
        raise CommandError(f"no active user {user}") from None
    except FileRefused as refused:
        message = TranslationString(refused.message, mapping=refused.mapping)
        raise CommandError(message.interpolate()) from None
    except ProblemError as problem:
        raise CommandError(str(problem.detail.interpolate())) from None


def stats(rows: int, started: float) -> str:
    """``rows 100000 in 9.8 s (10204 rows/s), peak memory 142 MB``."""
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = rows / max(seconds, 1e-9)
    return f"rows {rows} in {seconds:.1f} s ({rate:.0f} rows/s), peak memory {peak:.0f} MB"


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("type", metavar="TYPE", help="customers, contacts, follow-ups, orders …")
    parser.add_argument("file", metavar="FILE", type=Path, help="a CSV, XLSX or XLS file")
    parser.add_argument("--as", dest="user", metavar="USERNAME", help="act as this user")
    parser.add_argument(
        "--mapping", type=Path, metavar="MAPPING.json", help='{"header": "field", …}'
    )
    parser.add_argument("--on-duplicate", choices=DUPLICATE_POLICIES, default="skip")
    parser.add_argument("--match", metavar="KEYS", help="keys that find duplicates: code,phone …")
    parser.add_argument("--valid-rows-only", action="store_true", help="import the valid rows")
    parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    parser.add_argument("--errors", type=Path, metavar="OUT", help="write the failed rows here")
    parser.add_argument("--encoding", help="the CSV file's encoding (default: detected)")
    parser.add_argument("--sheet", help="the workbook's sheet (default: the first)")
    parser.add_argument("--stats", action="store_true", help="print rows/s and peak memory")


@command("import", "import records from a CSV or Excel file", _import_arguments)
def import_file(args: argparse.Namespace, env: Any) -> int:
    """Print ``created N, updated N, skipped N, failed N``; exit 1 when rows failed."""
    from core.tabular.imports import run_import
    from core.tabular.pipeline import Counts

    if not args.file.is_file():
        raise CommandError(f"no file {args.file}")
    mapping = None
    if args.mapping is not None:
        try:
            mapping = json.loads(args.mapping.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {args.mapping}: {exc}") from None
        if not isinstance(mapping, dict):
            raise CommandError("the mapping file must hold a JSON object {header: field}")
    registry = env.registry  # the application starts before the clock does
    started = time.perf_counter()
    with refusals(args.type, "import", args.user):
        counts, data_import = run_import(
            registry,
            args.type,
            args.file,
            user=acting_user(env, args.user),
            mapping=mapping,
            on_duplicate=args.on_duplicate,
            match_keys=args.match.split(",") if args.match else None,
            valid_rows_only=args.valid_rows_only,
            dry_run=args.dry_run,
            errors_to=args.errors,
            encoding=args.encoding,
            sheet=args.sheet,
        )
    if data_import.state == "failed":
        from core.i18n import _

        problem = data_import.problem or {}
        message = _(problem.get("message", "failed"), mapping=problem.get("mapping"))
        raise CommandError(message.interpolate())
    if data_import.state == "not_applied":
        print(Counts(failed=counts.failed).summary())
        good = counts.rows - counts.failed
        print(
            f"nothing was imported because rows failed; {good} rows are valid "
            "(fix the others, or use --valid-rows-only)",
            file=sys.stderr,
        )
    else:
        print(counts.summary())
    if args.dry_run:
        print("dry run: nothing was written", file=sys.stderr)
    if args.stats:
        print(stats(counts.rows, started), file=sys.stderr)
    return 1 if counts.failed and not args.valid_rows_only else 0


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("type", metavar="TYPE", help="customers, contacts, follow-ups, orders …")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    parser.add_argument("--format", choices=("csv", "xlsx"), help="default: from FILE's suffix")
    parser.add_argument("--as", dest="user", metavar="USERNAME", help="act as this user")
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a filter of the type's API list, e.g. status=active or created_at__gte=2026-01-01",
    )
    parser.add_argument("--stats", action="store_true", help="print rows/s and peak memory")


@command("export", "export records to a CSV or Excel file", _export_arguments)
def export_file(args: argparse.Namespace, env: Any) -> int:
    """Write the file and print how many rows it has."""
    from core.tabular.exports import export_to_file

    file_format = args.format or ("xlsx" if args.output.suffix.lower() == ".xlsx" else "csv")
    filters = {}
    for item in args.filter:
        field, sep, value = item.partition("=")
        if not sep or not field:
            raise CommandError(f"give filters as FIELD=VALUE, not {item!r}")
        filters[field] = value
    registry = env.registry  # the application starts before the clock does
    started = time.perf_counter()
    with refusals(args.type, "export", args.user):
        rows = export_to_file(
            registry,
            args.type,
            args.output,
            user=acting_user(env, args.user),
            file_format=file_format,
            filters=filters,
        )
    print(f"exported {rows} rows to {args.output}")
    if args.stats:
        print(stats(rows, started), file=sys.stderr)
    return 0
