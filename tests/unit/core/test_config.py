"""Settings are read from the environment and TOML, validated at start, and name what is wrong."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core.config import Settings, SettingsError


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {
        "HAMBASTEGI_DATA_DIR": str(tmp_path),
        **{f"HAMBASTEGI_{k}": v for k, v in values.items()},
    }


def test_defaults_are_a_local_sqlite_instance(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path))

    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'hambastegi.sqlite3'}"
    assert settings.allow_private_network is False
    assert settings.host == "127.0.0.1:8000"


def test_secret_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings.from_env(env(tmp_path)).secret_key
    second = Settings.from_env(env(tmp_path)).secret_key

    assert first == second
    assert len(first) >= 32
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"BASE_URL": "ftp://example.org"}, "HAMBASTEGI_BASE_URL"),
        ({"BASE_URL": "https://example.org/sub/path"}, "HAMBASTEGI_BASE_URL"),
        ({"BASE_URL": "http://solidarity.example"}, "HAMBASTEGI_BASE_URL"),
        ({"BASE_URL": "https://example.org:99999"}, "HAMBASTEGI_BASE_URL"),
        ({"DATABASE_URL": "mysql://x/y"}, "HAMBASTEGI_DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "HAMBASTEGI_DATABASE_URL"),
        ({"SECRET_KEY": "short"}, "HAMBASTEGI_SECRET_KEY"),
        ({"ALLOW_PRIVATE_NETWORK": "perhaps"}, "HAMBASTEGI_ALLOW_PRIVATE_NETWORK"),
        ({"MAX_INBOX_BYTES": "-3"}, "HAMBASTEGI_MAX_INBOX_BYTES"),
        ({"LOG_LEVEL": "loud"}, "HAMBASTEGI_LOG_LEVEL"),
        ({"DEFAULT_LANGUAGE": "not a tag!"}, "HAMBASTEGI_DEFAULT_LANGUAGE"),
        ({"CA_BUNDLE": "/nonexistent/ca.pem"}, "HAMBASTEGI_CA_BUNDLE"),
        ({"TYPO_SETTING": "1"}, "HAMBASTEGI_TYPO_SETTING"),
        ({"SQLITE_SYNCHRONOUS": "off"}, "HAMBASTEGI_SQLITE_SYNCHRONOUS"),
        ({"PDF_PROCESSES": "0"}, "HAMBASTEGI_PDF_PROCESSES"),
        ({"PDF_PROCESSES": "65"}, "HAMBASTEGI_PDF_PROCESSES"),
        ({"PDF_PROCESSES": "two"}, "HAMBASTEGI_PDF_PROCESSES"),
    ],
)
def test_bad_settings_fail_with_a_message_naming_the_setting(
    tmp_path: Path, values: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env(tmp_path, **values))


def test_plain_http_on_a_public_host_needs_private_network_mode(tmp_path: Path) -> None:
    settings = Settings.from_env(
        env(tmp_path, BASE_URL="http://solidarity.example", ALLOW_PRIVATE_NETWORK="true")
    )

    assert settings.base_url == "http://solidarity.example"


def test_toml_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "hambastegi.toml"
    config.write_text('base_url = "https://solidarity.example"\ninstance_name = "From TOML"\n')

    settings = Settings.from_env(env(tmp_path, CONFIG=str(config), INSTANCE_NAME="From env"))

    assert settings.base_url == "https://solidarity.example"
    assert settings.instance_name == "From env"


def test_malformed_toml_names_the_config_setting(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("base_url = \n")

    with pytest.raises(SettingsError, match="HAMBASTEGI_CONFIG"):
        Settings.from_env(env(tmp_path, CONFIG=str(config)))


def test_postgres_urls_are_mapped_to_the_async_driver(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path, DATABASE_URL="postgresql://u@db.internal/hb"))

    assert settings.database_url == "postgresql+asyncpg://u@db.internal/hb"
