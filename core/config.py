"""Settings: read once from the environment (and an optional TOML file), frozen, validated at start.

Every setting is `HAMBASTEGI_<NAME>` in the environment or `<name>` in the TOML file named by
`HAMBASTEGI_CONFIG`; the environment wins. A bad value raises `SettingsError` naming the setting.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "HAMBASTEGI_"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    base_url: str
    data_dir: Path
    database_url: str
    secret_key: str
    allow_private_network: bool = False
    database_schema: str | None = None
    authorized_fetch: bool = False
    allowlist_mode: bool = False
    run_workers: bool = True
    instance_name: str = "Hambastegi"
    instance_description: str = "Labour solidarity news on the fediverse"
    contact_email: str = ""
    default_language: str = "en"
    ca_bundle: Path | None = None
    log_level: str = "info"
    max_inbox_bytes: int = 256 * 1024
    max_fetch_bytes: int = 1024 * 1024
    fetch_timeout: float = 30.0
    connect_timeout: float = 10.0
    delivery_concurrency: int = 64
    delivery_per_host: int = 4
    poll_seconds: float = 1.0
    lease_seconds: float = 120.0
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or CIDRs);
    # empty: none, and every client is the address that connected.
    trusted_proxies: tuple[str, ...] = ()
    # Back-pressure: above this many accepted-but-unprocessed activities the inbox answers 503
    # with Retry-After (0: never).
    max_inbox_backlog: int = 100_000
    metrics: bool = False  # serve /metrics (Prometheus text format) for operators
    page_cache_seconds: float = 10.0  # how long anonymous pages are reused (0: never)
    # SQLite's durability: "normal" (WAL; a commit survives a crash of the process, and a power
    # cut may lose the last moments) or "full" (every commit is synced to disk).
    sqlite_synchronous: str = "normal"
    # Bulletins by email: one SMTP relay, `smtp://user:pass@host:587` (STARTTLS when the server
    # offers it) or `smtps://user:pass@host:465` (TLS from the start); empty: no email sent.
    smtp_url: str = ""
    mail_from: str = ""  # the From address (default: bulletins@ our host)
    mail_per_minute: int = 120  # the relay's rate limit: messages per minute at most
    # PDFs are laid out in worker processes (made on the first PDF): this many at once.
    pdf_processes: int = 1
    # Copies of the site elsewhere (`hambastegi mirror export`), announced on every page and
    # feed for readers where this domain is blocked; and an onion service's address.
    mirrors: tuple[str, ...] = ()
    onion_address: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    # -- derived -------------------------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return urlsplit(self.base_url).scheme

    @property
    def host(self) -> str:
        """The authority of our URLs (host, and port when not the default): the `host` we sign."""
        return urlsplit(self.base_url).netloc.lower()

    @property
    def hostname(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def user_agent(self) -> str:
        return f"Hambastegi/0.1 (+{self.base_url})"

    @property
    def sender(self) -> str:
        return self.mail_from or f"bulletins@{self.hostname or 'localhost'}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    # -- constructors --------------------------------------------------------------------------
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        config_path = env.get(PREFIX + "CONFIG")
        if config_path:
            values.update(_read_toml(Path(config_path)))
        for key, raw in env.items():
            if key.startswith(PREFIX) and key != PREFIX + "CONFIG":
                values[key[len(PREFIX) :].lower()] = raw
        return cls.from_values(values)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        known = {f.name for f in cls.__dataclass_fields__.values()} - {"extra"}
        unknown = sorted(set(values) - known)
        if unknown:
            names = ", ".join(PREFIX + u.upper() for u in unknown)
            raise SettingsError(f"unknown setting(s): {names}")
        data_dir = Path(str(values.get("data_dir") or "./data")).expanduser()
        base_url = _parse_base_url(str(values.get("base_url") or DEFAULT_BASE_URL))
        allow_private = _parse_bool("allow_private_network", values.get("allow_private_network"))
        _check_scheme(base_url, allow_private)
        database_url = normalise_database_url(
            str(values.get("database_url") or f"sqlite:///{data_dir / 'hambastegi.sqlite3'}")
        )
        kwargs: dict[str, Any] = {
            "base_url": base_url,
            "data_dir": data_dir,
            "database_url": database_url,
            "secret_key": _secret_key(values.get("secret_key"), data_dir),
            "allow_private_network": allow_private,
        }
        if "max_inbox_backlog" in values:
            raw = str(values["max_inbox_backlog"]).strip()
            if not (raw.isascii() and raw.isdigit()):
                raise SettingsError(f"{PREFIX}MAX_INBOX_BACKLOG must be a whole number (0: none)")
            kwargs["max_inbox_backlog"] = int(raw)
        for name in ("authorized_fetch", "allowlist_mode", "run_workers", "metrics"):
            if name in values:
                kwargs[name] = _parse_bool(name, values[name])
        for name in ("instance_name", "instance_description", "contact_email", "log_level"):
            if name in values:
                kwargs[name] = str(values[name])
        if values.get("database_schema"):
            schema = str(values["database_schema"])
            if not schema.replace("_", "").isalnum():
                raise SettingsError(
                    f"{PREFIX}DATABASE_SCHEMA must be letters, digits and _: {schema!r}"
                )
            kwargs["database_schema"] = schema
        if values.get("default_language"):
            kwargs["default_language"] = _parse_language(str(values["default_language"]))
        if values.get("ca_bundle"):
            bundle = Path(str(values["ca_bundle"]))
            if not bundle.is_file():
                raise SettingsError(f"{PREFIX}CA_BUNDLE: no such file: {bundle}")
            kwargs["ca_bundle"] = bundle
        for name in (
            "max_inbox_bytes",
            "max_fetch_bytes",
            "delivery_concurrency",
            "delivery_per_host",
        ):
            if name in values:
                kwargs[name] = _parse_positive_int(name, values[name])
        if "page_cache_seconds" in values:
            raw = str(values["page_cache_seconds"]).strip()
            try:
                seconds = float(raw)
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= 3600:
                raise SettingsError(f"{PREFIX}PAGE_CACHE_SECONDS must be 0 to 3600 seconds")
            kwargs["page_cache_seconds"] = seconds
        for name in ("fetch_timeout", "connect_timeout", "poll_seconds", "lease_seconds"):
            if name in values:
                kwargs[name] = _parse_positive_float(name, values[name])
        if values.get("trusted_proxies"):
            kwargs["trusted_proxies"] = _parse_networks(
                "trusted_proxies", str(values["trusted_proxies"])
            )
        if values.get("mirrors"):
            found = tuple(str(values["mirrors"]).replace(",", " ").split())
            for url in found:
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    raise SettingsError(f"{PREFIX}MIRRORS: not an http(s) URL: {url!r}")
            kwargs["mirrors"] = tuple(u.rstrip("/") for u in found)
        if values.get("onion_address"):
            onion = str(values["onion_address"]).strip().removeprefix("http://").rstrip("/")
            if not re.fullmatch(r"[a-z2-7]{56}\.onion", onion):
                raise SettingsError(
                    f"{PREFIX}ONION_ADDRESS must be a v3 onion address (56 characters + .onion)"
                )
            kwargs["onion_address"] = onion
        if values.get("smtp_url"):
            kwargs["smtp_url"] = _parse_smtp_url(str(values["smtp_url"]))
        if values.get("mail_from"):
            sender = str(values["mail_from"]).strip()
            if "@" not in sender or any(c in sender for c in "\r\n<>"):
                raise SettingsError(f"{PREFIX}MAIL_FROM must be an email address")
            kwargs["mail_from"] = sender
        if "mail_per_minute" in values:
            kwargs["mail_per_minute"] = _parse_positive_int(
                "mail_per_minute", values["mail_per_minute"]
            )
        if "pdf_processes" in values:
            processes = _parse_positive_int("pdf_processes", values["pdf_processes"])
            if processes > 64:
                raise SettingsError(f"{PREFIX}PDF_PROCESSES must be 64 at most")
            kwargs["pdf_processes"] = processes
        if "sqlite_synchronous" in values:
            mode = str(values["sqlite_synchronous"]).strip().lower()
            if mode not in {"normal", "full"}:
                raise SettingsError(f"{PREFIX}SQLITE_SYNCHRONOUS must be normal or full")
            kwargs["sqlite_synchronous"] = mode
        if kwargs.get("log_level", "info").lower() not in {"debug", "info", "warning", "error"}:
            raise SettingsError(f"{PREFIX}LOG_LEVEL must be debug, info, warning or error")
        return cls(**kwargs)

    @classmethod
    def for_tests(
        cls,
        *,
        base_url: str,
        data_dir: Path,
        database_url: str | None = None,
        database_schema: str | None = None,
        **overrides: Any,
    ) -> Settings:
        """Settings for a test instance: plain http and loopback peers allowed, explicitly."""
        return replace(
            cls(
                base_url=_parse_base_url(base_url),
                data_dir=data_dir,
                database_url=normalise_database_url(
                    database_url or f"sqlite:///{data_dir / 'hambastegi.sqlite3'}"
                ),
                secret_key="test-secret-" + "x" * 32,
                allow_private_network=True,
                database_schema=database_schema,
                poll_seconds=0.05,
                page_cache_seconds=0.0,  # tests read what they just wrote; the cache has its own
            ),
            **overrides,
        )


def _parse_networks(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or CIDR networks, each validated."""
    found = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise SettingsError(
                f"{PREFIX}{name.upper()}: not an IP address or network: {item!r}"
            ) from exc
    return tuple(found)


def normalise_database_url(url: str) -> str:
    """Map the plain `sqlite://` and `postgresql://` forms onto the async drivers we ship."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SettingsError(f"{PREFIX}DATABASE_URL is not a URL: {url!r}")
    if scheme in {"sqlite", "sqlite+aiosqlite"}:
        return "sqlite+aiosqlite://" + rest
    if scheme in {"postgres", "postgresql", "postgresql+asyncpg"}:
        return "postgresql+asyncpg://" + rest
    raise SettingsError(
        f"{PREFIX}DATABASE_URL must start with sqlite:// or postgresql://, got {scheme}://"
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise SettingsError(f"{PREFIX}CONFIG: cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{PREFIX}CONFIG: {path} is not valid TOML: {exc}") from exc
    return {str(k).lower(): v for k, v in data.items()}


def _parse_base_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{PREFIX}BASE_URL must be an http(s) URL with a host, got {raw!r}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise SettingsError(
            f"{PREFIX}BASE_URL must be the site root (no path, query or user), got {raw!r}"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}BASE_URL has an invalid port: {raw!r}") from exc
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _is_loopback_host(hostname: str) -> bool:
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _check_scheme(base_url: str, allow_private: bool) -> None:
    parts = urlsplit(base_url)
    if parts.scheme == "http" and not (allow_private or _is_loopback_host(parts.hostname or "")):
        raise SettingsError(
            f"{PREFIX}BASE_URL uses plain http on a public host ({base_url}); use https, or set "
            f"{PREFIX}ALLOW_PRIVATE_NETWORK=true for local development"
        )


def _parse_bool(name: str, raw: object) -> bool:
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(f"{PREFIX}{name.upper()} must be true or false, got {raw!r}")


def _parse_positive_int(name: str, raw: object) -> int:
    try:
        value = int(str(raw))
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingsError(f"{PREFIX}{name.upper()} must be a positive whole number, got {raw!r}")
    return value


def _parse_positive_float(name: str, raw: object) -> float:
    try:
        value = float(str(raw))
    except ValueError:
        value = 0.0
    if not value > 0:
        raise SettingsError(f"{PREFIX}{name.upper()} must be a positive number, got {raw!r}")
    return value


def _parse_language(raw: str) -> str:
    tag = raw.strip()
    if not tag or not all(part.isalnum() and len(part) <= 8 for part in tag.split("-")):
        raise SettingsError(
            f"{PREFIX}DEFAULT_LANGUAGE must be a BCP 47 tag such as fa or en, got {raw!r}"
        )
    return tag


def _secret_key(raw: object, data_dir: Path) -> str:
    """The given key, or the one kept in the data dir, made (0600) on first start."""
    if raw:
        key = str(raw)
        if len(key) < 32:
            raise SettingsError(f"{PREFIX}SECRET_KEY must be at least 32 characters long")
        return key
    path = data_dir / "secret_key"
    try:
        if path.exists():
            key = path.read_text().strip()
            if len(key) < 32:
                raise SettingsError(
                    f"{PREFIX}SECRET_KEY: {path} holds a key shorter than 32 characters"
                )
            return key
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        return key
    except OSError as exc:
        raise SettingsError(
            f"{PREFIX}DATA_DIR: cannot keep the secret key in {data_dir}: {exc.strerror}"
        ) from exc


def _parse_smtp_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError(
            f"{PREFIX}SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465"
        )
    try:
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}SMTP_URL has a bad port: {exc}") from exc
    return raw.strip()
