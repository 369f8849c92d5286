"""Settings: the ini file's values, overridden by ``GUANXI_*`` environment variables.

Every setting the core reads lives under the ``guanxi.`` prefix.  An environment
variable ``GUANXI_FOO_BAR`` overrides ``guanxi.foo_bar``; the common ones have
explicit names so they are easy to find in the README.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

#: Environment variables with the setting they override.
ENV_OVERRIDES = {
    "GUANXI_DATABASE_URL": "sqlalchemy.url",
    "GUANXI_REDIS_URL": "guanxi.redis_url",
    "GUANXI_SECRET_KEY": "guanxi.secret_key",
    "GUANXI_BASE_URL": "guanxi.base_url",
    "GUANXI_VAR_DIR": "guanxi.var_dir",
    "GUANXI_ENCRYPTION_KEYS": "guanxi.encryption_keys",
    "GUANXI_SMTP_URL": "guanxi.smtp_url",
    "GUANXI_TIMEZONE": "guanxi.default_timezone",
}

DEFAULTS: dict[str, Any] = {
    "guanxi.var_dir": "var",
    "guanxi.base_url": "http://127.0.0.1:6543",
    "guanxi.default_timezone": "Asia/Shanghai",
    "guanxi.default_locale": "en",
    "guanxi.session_idle_minutes": "30",
    "guanxi.session_absolute_hours": "12",
    "guanxi.module_state_ttl": "2",
    "guanxi.redis_url": "",
    "guanxi.smtp_url": "",
}


def load_settings(settings: dict[str, Any] | None, environ: dict[str, str] | None = None) -> dict:
    """Merge defaults, ini settings and ``GUANXI_*`` environment overrides."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = dict(DEFAULTS)
    merged.update(settings or {})
    for env_name, key in ENV_OVERRIDES.items():
        if environ.get(env_name):
            merged[key] = environ[env_name]
    for env_name, value in environ.items():
        if env_name.startswith("GUANXI_") and env_name not in ENV_OVERRIDES:
            merged["guanxi." + env_name[len("GUANXI_") :].lower()] = value
    var_dir = Path(merged["guanxi.var_dir"]).resolve()
    merged["guanxi.var_dir"] = str(var_dir)
    if not merged.get("sqlalchemy.url"):
        merged["sqlalchemy.url"] = f"sqlite:///{var_dir / 'guanxi.sqlite'}"
    if not merged.get("guanxi.secret_key"):
        merged["guanxi.secret_key"] = read_or_create_secret(var_dir / "secret.key")
    return merged


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    write_private_file(path, value + "\n")
    return value


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def as_bool(value: Any) -> bool:
    """Interpret an ini-style boolean."""
    return str(value).strip().lower() in {"1", "true", "yes", "on"}
