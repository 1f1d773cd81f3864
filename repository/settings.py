"""Settings: built-in defaults, then a TOML file, then ``OPIS_<SECTION>_<KEY>`` variables.

The defaults live here, in code, so an installed ``opis`` works without its source tree;
``config/opis.toml`` documents every key with the same defaults (a test keeps the two
in step).
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from metadata.readers.limits import Limits
from metadata.references import registry


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the key and the source."""


@dataclass(frozen=True)
class Database:
    url: str = "sqlite:///opis.db"


@dataclass(frozen=True)
class Server:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    workers: int = 1
    max_concurrent_requests: int = 256
    retry_after: int = 5
    shutdown_timeout: float = 10.0
    access_log: bool = True
    body_timeout: float = 30.0
    body_min_rate: int = 50_000
    header_timeout: float = 75.0


@dataclass(frozen=True)
class Repository:
    name: str = "Opis archival repository"
    identifier: str = "opis.example.org"
    admin_email: str = "admin@opis.example.org"
    description: str = "Archival documents with their page images."

    @functools.cached_property
    def oai_prefix(self) -> str:
        """What every OAI identifier of this repository starts with (then the record's
        key): worked out once, as a GetRecord and every record of a list need it."""
        return f"oai:{self.identifier}:"


@dataclass(frozen=True)
class Storage:
    data_dir: str = "opis-data"


@dataclass(frozen=True)
class Oai:
    page_size: int = 100
    page_bytes: int = 4_000_000
    set_page_size: int = 500
    token_lifetime_days: int = 7
    stylesheet: bool = True


@dataclass(frozen=True)
class Images:
    tile_size: int = 512
    max_width: int = 10_000
    max_height: int = 10_000
    max_area: int = 50_000_000
    max_input_pixels: int = 250_000_000
    max_input_bytes: int = 200_000_000
    workers: int = 4
    orphan_grace_seconds: int = 3600


@dataclass(frozen=True)
class Iiif:
    default_rights: str = "http://rightsstatements.org/vocab/InC-EDU/1.0/"
    rights_map: dict[str, str] = field(
        default_factory=lambda: {
            "welcomes reuse": "http://rightsstatements.org/vocab/InC-EDU/1.0/",
            "public domain": "http://creativecommons.org/publicdomain/mark/1.0/",
        }
    )
    collection_page_size: int = 1000
    discovery_page_size: int = 100


@dataclass(frozen=True)
class Web:
    mirador_url: str = "https://unpkg.com/mirador@4.0.0/dist/mirador.min.js"
    # A folder Opis serves at /mirador/ (Mirador's dist folder, for sites without a CDN).
    mirador_dir: str = ""
    page_size: int = 20
    # The interface language when neither ?lang=, the lang cookie nor Accept-Language
    # names one the pages have a catalogue for (repository/pages/locales).
    default_language: str = "en"


@dataclass(frozen=True)
class Auth:
    tokens: list[str] = field(default_factory=list)
    secret: str = ""
    max_body_bytes: int = 100_000_000
    # A folder the write API may read page images from, named by a record's pages[].image.
    # Empty disables images by reference (uploads still work).
    image_root: str = ""


@dataclass(frozen=True)
class Settings:
    database: Database = field(default_factory=Database)
    server: Server = field(default_factory=Server)
    repository: Repository = field(default_factory=Repository)
    storage: Storage = field(default_factory=Storage)
    oai: Oai = field(default_factory=Oai)
    images: Images = field(default_factory=Images)
    iiif: Iiif = field(default_factory=Iiif)
    web: Web = field(default_factory=Web)
    auth: Auth = field(default_factory=Auth)
    records: Limits = field(default_factory=Limits)  # field limits every input is held to
    # The config file's [[archives]]: archives a site adds to the shipped registry or
    # overrides there (see archive_registry), and the file they came from.
    archives: tuple[Mapping[str, Any], ...] = ()
    archives_origin: str = ""

    @property
    def base_url(self) -> str:
        """The base of every absolute URL Opis writes, without a trailing slash."""
        if self.server.public_url:
            return self.server.public_url.rstrip("/")
        host = self.server.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.server.port}"

    @property
    def data_dir(self) -> Path:
        return Path(self.storage.data_dir)


def load(
    path: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    **overrides: dict[str, Any],
) -> Settings:
    """Defaults, then the file (``path`` or ``$OPIS_CONFIG``), then the environment.

    ``overrides`` maps a section name to a dict of keys, for command-line options.
    """
    env = dict(os.environ if environ is None else environ)
    path = path or env.get("OPIS_CONFIG") or None
    settings = Settings()
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SettingsError(f"config file not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
        archives = raw.pop("archives", [])
        if not isinstance(archives, list) or not all(isinstance(a, dict) for a in archives):
            raise SettingsError(f"{path}: archives must be [[archives]] tables")
        if archives:
            settings = replace(settings, archives=tuple(archives), archives_origin=str(path))
        settings = _merge(settings, raw, source=str(path))
    settings = _merge(settings, _from_environ(env), source="environment")
    clean = {s: {k: v for k, v in keys.items() if v is not None} for s, keys in overrides.items()}
    settings = _merge(settings, clean, source="command line")
    install_registry(settings)
    return settings


# The [section] tables a settings file may have ([[archives]] is read apart).
SECTIONS = frozenset(f.name for f in fields(Settings) if is_dataclass(f.default_factory))


@functools.lru_cache(maxsize=1)
def shipped_registry() -> registry.Registry:
    """The archives Opis knows out of the box (``metadata/references/archives.toml``)."""
    text = (
        importlib.resources.files("metadata.references")
        .joinpath(registry.SHIPPED_DATA)
        .read_text("utf-8")
    )
    return registry.Registry.from_data(tomllib.loads(text), origin="shipped")


def archive_registry(settings: Settings) -> registry.Registry:
    """The shipped registry with the site's [[archives]] added or overriding."""
    if not settings.archives:
        return shipped_registry()
    try:
        return shipped_registry().extended(settings.archives, origin=settings.archives_origin)
    except registry.RegistryError as exc:
        raise SettingsError(str(exc)) from exc


def install_registry(settings: Settings) -> None:
    """Make these settings' registry the one the citation parser uses in this process.

    Every process that parses citations calls this once: ``load`` does, and so do the
    server and ingest worker processes, which receive settings rather than load them.
    """
    registry.install(archive_registry(settings))


def _from_environ(env: dict[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    defaults = Settings()
    for section in fields(Settings):
        values = getattr(defaults, section.name)
        if not is_dataclass(values):
            continue
        for key in fields(values):
            name = f"OPIS_{section.name}_{key.name}".upper()
            if name in env:
                out.setdefault(section.name, {})[key.name] = env[name]
    return out


def _merge(settings: Settings, raw: dict[str, Any], *, source: str) -> Settings:
    changes: dict[str, Any] = {}
    for section_name, values in raw.items():
        if section_name not in SECTIONS:
            raise SettingsError(f"{source}: unknown section [{section_name}]")
        section: Any = getattr(settings, section_name)
        if not isinstance(values, dict):
            raise SettingsError(f"{source}: [{section_name}] must be a table")
        hints = get_type_hints(type(section))
        updates = {}
        for key, value in values.items():
            if key not in hints:
                raise SettingsError(f"{source}: unknown setting {section_name}.{key}")
            updates[key] = _coerce(value, hints[key], f"{source}: {section_name}.{key}")
        changes[section_name] = replace(section, **updates)
    return replace(settings, **changes)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
        origin = get_origin(hint)
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"not a boolean: {value!r}")
        if hint is int:
            if isinstance(value, bool):
                raise ValueError("not an integer")
            return int(str(value).replace("_", ""))
        if hint is float:
            return float(value)
        if hint is str:
            if not isinstance(value, str):
                raise ValueError(f"not a string: {value!r}")
            return value
        if origin is list:
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            return [str(v) for v in value]
        if origin is dict:
            if isinstance(value, str):
                pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
                return {k.strip(): v.strip() for k, v in pairs}
            return {str(k): str(v) for k, v in dict(value).items()}
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{where}: {exc}") from exc
    raise SettingsError(f"{where}: unsupported setting type {hint}")
