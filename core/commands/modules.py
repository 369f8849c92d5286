"""``guanxi plugins list|enable|disable NAME``."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli import CommandError, command


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["list", "enable", "disable"])
    parser.add_argument("name", nargs="?", help="module name (for enable and disable)")


@command("plugins", "list, enable or disable modules", _arguments)
def plugins(args: argparse.Namespace, env: Any) -> int:
    """List installed modules with their state, or change one module's state."""
    from core.audit import record_event
    from core.modules import ModuleError
    from core.web.modules_admin import enable_module

    registry = env.registry["modules"]
    with env.session() as session:
        if args.action == "list":
            enabled = registry.enabled_names(session, fresh=True)
            for module in registry.modules.values():
                state = "enabled" if module.name in enabled else "disabled"
                depends = ",".join(module.manifest.depends) or "-"
                print(
                    f"{module.name:<16} {module.manifest.version:<10} {state:<9} depends: {depends}"
                )
            return 0
        if not args.name:
            raise CommandError(f"plugins {args.action} needs a module name")
        try:
            if args.action == "enable":
                newly = enable_module(session, registry, args.name)
                record_event(
                    session,
                    "module_enabled",
                    record_type="modules",
                    record_id=args.name,
                    changes={"enabled": newly},
                )
                print(f"enabled: {', '.join(newly) or 'already enabled'}")
            else:
                registry.disable(session, args.name)
                record_event(session, "module_disabled", record_type="modules", record_id=args.name)
                print(f"disabled: {args.name} (its data is kept)")
        except ModuleError as exc:
            raise CommandError(str(exc)) from exc
    return 0
