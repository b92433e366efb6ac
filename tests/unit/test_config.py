"""Configuration layers and the production secret-key rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiring.config import SETTINGS, ConfigError, load_config, normalise_database_url


def test_postgresql_url_is_read_as_psycopg3() -> None:
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_environment_overrides_defaults_and_test_config_overrides_environment(
    tmp_path: Path,
) -> None:
    environ = {"HIRING_INSTANCE_PATH": str(tmp_path), "HIRING_BASE_URL": "https://hire.example.com",
               "HIRING_TRUST_PROXY": "1"}
    config = load_config(environ=environ, test_config={"TRUST_PROXY": 2})
    assert config["BASE_URL"] == "https://hire.example.com"
    assert config["TRUST_PROXY"] == 2
    assert config["SESSION_COOKIE_SECURE"] is True  # HTTPS base URL: secure cookies


def test_development_generates_secret_key_once_per_instance(tmp_path: Path) -> None:
    first = load_config(environ={"HIRING_INSTANCE_PATH": str(tmp_path)})
    second = load_config(environ={"HIRING_INSTANCE_PATH": str(tmp_path)})
    assert len(first["SECRET_KEY"]) >= 32
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


@pytest.mark.parametrize("secret", [None, "short", "changeme" * 1])
def test_production_refuses_missing_or_weak_secret_key(tmp_path: Path, secret: str | None) -> None:
    environ = {"HIRING_ENV": "production", "HIRING_INSTANCE_PATH": str(tmp_path)}
    if secret:
        environ["HIRING_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="HIRING_SECRET_KEY"):
        load_config(environ=environ)


def test_production_accepts_strong_secret_and_turns_debug_off(tmp_path: Path) -> None:
    config = load_config(environ={"HIRING_ENV": "production", "HIRING_INSTANCE_PATH": str(tmp_path),
                                  "HIRING_SECRET_KEY": "x7" * 24})
    assert config["DEBUG"] is False
    assert not (tmp_path / "secret_key").exists()


def test_bad_values_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HIRING_TRUST_PROXY"):
        load_config(environ={"HIRING_TRUST_PROXY": "two", "HIRING_INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(ConfigError, match="HIRING_ENV"):
        load_config(environ={"HIRING_ENV": "staging", "HIRING_INSTANCE_PATH": str(tmp_path)})


def test_every_setting_is_documented_in_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []
