"""The ``opis`` command line.

Exit status 0 on success, 1 when any input failed, 2 for usage or configuration errors.
Failures name the input and the reason.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from repository.settings import Settings, SettingsError, load

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (default: built-in defaults; see config/opis.toml). Also $OPIS_CONFIG.",
)


def _settings(config_path: str | None, **overrides: dict[str, Any]) -> Settings:
    try:
        return load(config_path, **overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Opis: a harvestable repository for archival documents."""


def _check_store(settings: Settings) -> None:
    """Open the store once, so a wrong URL or an old schema is a clear message, not a trace."""
    from repository.store import Store, StoreError

    async def check() -> None:
        store = Store(settings.database.url)
        try:
            await store.open()
        finally:
            await store.close()

    try:
        asyncio.run(check())
    except (StoreError, ValueError) as exc:
        click.echo(f"FAILED  {exc}", err=True)
        sys.exit(2)


@main.command()
@config_option
@click.option("--host", default=None, help="Address to listen on (server.host).")
@click.option("--port", type=int, default=None, help="Port to listen on (server.port).")
@click.option("--workers", type=int, default=None, help="Processes serving the port.")
@click.option("--demo", is_flag=True, help="Load the bundled sample documents first.")
def serve(
    config_path: str | None, host: str | None, port: int | None, workers: int | None, demo: bool
) -> None:
    """Run the HTTP service (OAI-PMH, IIIF, web pages)."""
    from repository.serve import run

    settings = _settings(config_path, server={"host": host, "port": port, "workers": workers})
    _check_store(settings)
    if demo:
        from repository.intake.demo import load_demo

        report = asyncio.run(load_demo(settings))
        click.echo(f"demo data: {report.summary()}", err=True)
    run(settings)


@main.command()
@config_option
@click.argument("paths", nargs=-1, required=True)
@click.option("-v", "--verbose", is_flag=True, help="List every record, not only problems.")
def ingest(config_path: str | None, paths: tuple[str, ...], verbose: bool) -> None:
    """Ingest files, folders and globs (page text, JSON, document folders). Idempotent."""
    from repository.intake.ingest import ingest_paths

    settings = _settings(config_path)
    _check_store(settings)
    report = asyncio.run(ingest_paths(settings, list(paths), progress=sys.stderr.isatty()))
    for entry in report.entries:
        if entry.status == "failed":
            click.echo(f"FAILED  {entry.source}: {entry.message}", err=True)
        elif entry.status == "skipped":
            click.echo(f"skipped {entry.source}: {entry.message}", err=True)
        elif verbose:
            click.echo(f"{entry.status:<9} {entry.source} -> {entry.key}")
        for warning in entry.warnings:
            click.echo(f"warning {entry.source}: {warning}", err=True)
    click.echo(report.summary())
    sys.exit(1 if report.failed else 0)


@main.command()
@config_option
@click.argument("keys", nargs=-1, required=True)
def delete(config_path: str | None, keys: tuple[str, ...]) -> None:
    """Delete records, leaving tombstones that harvesters see as deletions."""
    settings = _settings(config_path)
    results = asyncio.run(_delete(settings, list(keys)))
    failed = False
    for key, status in results:
        if status is None:
            failed = True
            click.echo(f"FAILED  {key}: no such record", err=True)
        else:
            click.echo(f"{status:<9} {key}")
    sys.exit(1 if failed else 0)


async def _delete(settings: Settings, keys: list[str]) -> list[tuple[str, str | None]]:
    from repository.store import Store

    store = await Store(settings.database.url).open()
    try:
        out = []
        for key in keys:
            outcome = await store.delete(key.strip("/"))
            out.append((key, outcome.status if outcome else None))
        await store.stamp()
        return out
    finally:
        await store.close()


@main.command()
@config_option
@click.argument("url")
@click.option("--set", "set_spec", default=None, help="Harvest only this set.")
@click.option("--from", "from_", default=None, help="YYYY-MM-DD[Thh:mm:ssZ]; else remembered.")
@click.option(
    "--prefix",
    type=click.Choice(["oai_dc", "marc21", "mods"]),
    default="oai_dc",
    show_default=True,
    help="Metadata format to harvest.",
)
@click.option("--map", "map_path", type=click.Path(dir_okay=False), help="Field map (TOML/JSON).")
@click.option("--full", is_flag=True, help="Ignore what is remembered; harvest everything.")
@click.option("--retries", type=int, default=8, show_default=True, help="Attempts per request.")
@click.option("--timeout", type=float, default=60, show_default=True, help="Seconds per request.")
@click.option("--max-wait", type=float, default=300, show_default=True, help="Longest retry wait.")
@click.option("-v", "--verbose", is_flag=True, help="List every record, not only problems.")
def harvest(
    config_path: str | None,
    url: str,
    set_spec: str | None,
    from_: str | None,
    prefix: str,
    map_path: str | None,
    full: bool,
    retries: int,
    timeout: float,
    max_wait: float,
    verbose: bool,
) -> None:
    """Harvest an OAI-PMH repository into this one, incrementally (docs/harvest.md)."""
    from repository.intake.harvest import run_command

    settings = _settings(config_path)
    _check_store(settings)
    sys.exit(
        run_command(
            settings,
            url,
            set_spec=set_spec,
            from_=from_,
            prefix=prefix,
            map_path=map_path,
            full=full,
            retry=(retries, timeout, max_wait),
            verbose=verbose,
        )
    )


@main.group()
def db() -> None:
    """Database schema and moves between databases."""


@db.command()
@config_option
def upgrade(config_path: str | None) -> None:
    """Bring the database schema up to date (safe to run again)."""
    from repository.store.migrate import head
    from repository.store.migrate import upgrade as run_upgrade

    settings = _settings(config_path)
    run_upgrade(settings.database.url)
    click.echo(f"{settings.database.url}: schema at revision {head()}")


@db.command(name="copy")
@click.argument("source_url")
@click.argument("target_url")
def copy_command(source_url: str, target_url: str) -> None:
    """Copy a whole repository into an empty database (SQLite <-> PostgreSQL)."""
    from repository.store.copy import copy
    from repository.store.errors import StoreError

    def progress(table: str, done: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{table}: {done}", nl=False, err=True)

    try:
        counts = asyncio.run(copy(source_url, target_url, progress))
    except StoreError as exc:
        click.echo(f"FAILED  {exc}", err=True)
        sys.exit(1)
    click.echo(", ".join(f"{n} {table}" for table, n in counts.items()))


@main.command()
@click.argument("texts", nargs=-1, required=True)
def ref(texts: tuple[str, ...]) -> None:
    """Parse archival citations; one JSON object per line."""
    failed = False
    for text in texts:
        out = describe(text)
        failed |= out.get("error") is not None
        click.echo(json.dumps(out, ensure_ascii=False))
    sys.exit(1 if failed else 0)


def describe(text: str) -> dict[str, Any]:
    """The ``opis ref`` object for one input (fields as DESIGN.md fixes them)."""
    from metadata.references import canonical, parse, unit_key

    citation = parse(text)
    primary = citation.primary
    out: dict[str, Any] = {
        "input": text,
        "archive": primary.archive if primary else None,
        "levels": [list(level) for level in primary.levels] if primary else [],
        "pages": primary.pages if primary else None,
        "canonical": canonical(primary) if primary else None,
        "key": unit_key(primary) if primary else None,
    }
    if citation.inferred_archive:
        out["archive_inferred"] = True
    if len(citation.references) > 1:
        out["alternates"] = [
            {
                "archive": r.archive,
                "levels": [list(x) for x in r.levels],
                "pages": r.pages,
                "canonical": canonical(r),
                "key": unit_key(r),
            }
            for r in citation.references[1:]
        ]
    if citation.remainder:
        out["remainder"] = citation.remainder
    out["error"] = citation.error
    return out
