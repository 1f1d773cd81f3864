"""Settings: the documented file, the environment, and mistakes reported by name."""

from __future__ import annotations

import tomllib
from dataclasses import asdict

import pytest

from repository.settings import SECTIONS, Settings, SettingsError, load
from tests.conftest import ROOT

DOCUMENTED = ROOT / "config" / "opis.toml"


def test_documented_file_states_every_default_exactly():
    documented = tomllib.loads(DOCUMENTED.read_text())
    sections = {k: v for k, v in asdict(Settings()).items() if k in SECTIONS}
    assert documented == sections


def test_loading_the_documented_file_changes_nothing():
    assert load(DOCUMENTED, environ={}) == Settings()


def test_environment_overrides_any_key_with_types():
    settings = load(
        environ={
            "OPIS_DATABASE_URL": "postgresql://postgres@127.0.0.1/opis",
            "OPIS_SERVER_PORT": "9001",
            "OPIS_OAI_STYLESHEET": "false",
            "OPIS_AUTH_TOKENS": "editor:s3cret, robot:t0ken:read",
        }
    )
    assert settings.database.url == "postgresql://postgres@127.0.0.1/opis"
    assert settings.server.port == 9001
    assert settings.oai.stylesheet is False
    assert settings.auth.tokens == ["editor:s3cret", "robot:t0ken:read"]


def test_config_file_then_environment_then_command_line(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[server]\nport = 7000\nhost = "0.0.0.0"\n[repository]\nname = "Here"\n')
    settings = load(path, environ={"OPIS_SERVER_PORT": "7001"}, server={"port": 7002})
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 7002)
    assert settings.repository.name == "Here"
    assert settings.base_url == "http://127.0.0.1:7002"


def test_opis_config_variable_picks_the_file(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('[repository]\nidentifier = "archive.example.net"\n')
    assert load(environ={"OPIS_CONFIG": str(path)}).repository.identifier == "archive.example.net"


def test_public_url_is_the_base_of_absolute_urls():
    settings = load(environ={"OPIS_SERVER_PUBLIC_URL": "https://archive.example.net/opis/"})
    assert settings.base_url == "https://archive.example.net/opis"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[servre]\nport = 1\n", "unknown section [servre]"),
        ("[server]\nprot = 1\n", "unknown setting server.prot"),
        ('[server]\nport = "eighty"\n', "server.port"),
        ("[server\n", "not valid TOML"),
    ],
)
def test_mistakes_are_named(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(path, environ={})


def test_missing_file_is_an_error():
    with pytest.raises(SettingsError, match="not found"):
        load("/nonexistent/opis.toml", environ={})
