"""The ``opis`` command line.

Exit status 0 on success, 1 when any input failed, 2 for usage or configuration errors.
Failures name the input and the reason.

Every command gives ``short_help`` explicitly, so ``opis --help`` lists each one in
full instead of cutting its docstring short; the docstring is the command's own
``--help``, with examples.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import click

from repository.settings import Settings, SettingsError, load

if TYPE_CHECKING:
    from metadata.record import Reference
    from repository.records.report import Entry, Report
    from repository.store import Store

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (default: built-in defaults; see config/opis.toml). Also $OPIS_CONFIG.",
)
verbose_option = click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="List every record, and repeat the warnings of unchanged records.",
)


def _settings(config_path: str | None, **overrides: dict[str, Any]) -> Settings:
    try:
        return load(config_path, **overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc


class _InOrder(click.Group):
    """Lists commands in the order they are defined (the README's), not alphabetically.

    The usage line says ``COMMAND [ARGS]``: in ``opis --help`` no line ends in "...",
    so a line that does is always a description cut short.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(
    cls=_InOrder,
    subcommand_metavar="COMMAND [ARGS]",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
def main() -> None:
    """Opis: a harvestable repository for archival documents.

    It publishes documents over OAI-PMH, as IIIF manifests and as web pages.
    Run `opis COMMAND --help` for a command's options and examples; README.md has
    the whole story.
    """


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


# -- serve ------------------------------------------------------------------------------


@main.command(short_help="Run the HTTP service: OAI-PMH, IIIF and web pages.")
@config_option
@click.option("--host", default=None, help="Address to listen on (server.host).")
@click.option("--port", type=int, default=None, help="Port to listen on (server.port).")
@click.option("--workers", type=int, default=None, help="Processes serving the port.")
@click.option("--demo", is_flag=True, help="Load the bundled sample documents first.")
def serve(
    config_path: str | None, host: str | None, port: int | None, workers: int | None, demo: bool
) -> None:
    """Run the HTTP service: OAI-PMH at /oai, IIIF under /iiif/, web pages at /.

    \b
    Examples:
      opis serve --demo                 # sample documents, then http://127.0.0.1:8080/
      opis serve --config opis.toml --port 9000 --workers 4

    Records live in database.url (opis.db in the working directory by default) and
    page images in storage.data_dir (opis-data/). One JSON line per request goes to
    standard error; SIGTERM lets the requests in flight finish.
    """
    from repository.serve import run

    settings = _settings(config_path, server={"host": host, "port": port, "workers": workers})
    _check_store(settings)
    if demo:
        from repository.intake.demo import load_demo

        report = asyncio.run(load_demo(settings))
        click.echo(f"demo data: {report.summary()}", err=True)
    run(settings)


# -- ingest -----------------------------------------------------------------------------


@main.command(short_help="Ingest files, folders and globs of records (idempotent).")
@config_option
@click.argument("paths", nargs=-1, required=True)
@verbose_option
@click.option(
    "--archive",
    "archive",
    default=None,
    metavar="CODE",
    help="Archive code for EAD finding aids (else from the eadid/agencycode, via the registry).",
)
def ingest(
    config_path: str | None, paths: tuple[str, ...], verbose: bool, archive: str | None
) -> None:
    """Ingest files, folders and globs: page text, JSON records, document folders.

    \b
    Examples:
      opis ingest records.jsonl
      opis ingest letters/ 'pages/*.txt'

    Each input is reported as added, updated, unchanged, failed (with the reason) or
    skipped (with the reason, e.g. a README.md). Ingesting unchanged files again
    changes nothing; warnings are printed for the records this run added or updated,
    and only counted for unchanged ones (-v prints them). Exit status 1 if any input
    failed. The formats: "What ingest reads" in README.md, and the JSON record fields
    in docs/json-records.md.
    """
    from repository.intake.ingest import ingest_paths

    settings = _settings(config_path)
    _check_store(settings)
    report = asyncio.run(
        ingest_paths(settings, list(paths), progress=sys.stderr.isatty(), archive=archive)
    )
    print_report(report, verbose)
    sys.exit(1 if report.failed else 0)


def print_report(report: Report, verbose: bool, *, list_skipped: bool = True) -> None:
    """What a run prints: problems and warnings on standard error, the summary on standard
    output (with ``verbose``, every record too).

    A record's warnings are printed when this run added or updated it. An unchanged
    record's warnings were printed when it was written, so they are only counted in the
    summary, unless ``verbose``. ``list_skipped`` prints skipped inputs without
    ``verbose`` (ingest's unread files; harvest's skips are routine).
    """
    from repository.records.report import FAILED, SKIPPED
    from repository.store.writes import UNCHANGED

    for note in report.notes:
        click.echo(f"note    {note}", err=True)
    held = 0
    for entry in report.entries:
        if entry.status == FAILED:
            click.echo(f"FAILED  {_naming(entry.source, entry.message)}", err=True)
        elif entry.status == SKIPPED and (list_skipped or verbose):
            click.echo(f"skipped {_naming(entry.source, entry.message)}", err=True)
        elif verbose:
            click.echo(f"{entry.status:<9} {_target(entry)}")
        if entry.status == UNCHANGED and not verbose:
            held += len(entry.warnings)
            continue
        for warning in entry.warnings:
            click.echo(f"warning {entry.source}: {warning}", err=True)
    summary = report.summary()
    if held:
        plural = "warning" if held == 1 else "warnings"
        summary += f"; {held} {plural} about unchanged records not repeated (-v shows them)"
    click.echo(summary)


def _naming(source: str, message: str) -> str:
    """``source: message``, unless the message already starts by naming the source."""
    if not message:
        return source
    return message if message.startswith(source) else f"{source}: {message}"


def _target(entry: Entry) -> str:
    if entry.key:
        return f"{entry.source} -> {entry.key}"
    return _naming(entry.source, entry.message)


# -- delete -----------------------------------------------------------------------------

SUGGESTED = 5  # keys named at most in one "did you mean"


@main.command(short_help="Delete records by key, leaving tombstones for harvesters.")
@config_option
@click.argument("keys", nargs=-1, required=True)
def delete(config_path: str | None, keys: tuple[str, ...]) -> None:
    """Delete records by key, leaving tombstones that harvesters see as deletions.

    \b
    Examples:
      opis delete GAPPOD/f.1/op.89/d.112
      opis delete APRF/f.45/op.1/d.334/l.141 UNCITED/doc.demo-6

    KEY is a record's key, as `opis ingest -v` and the record pages show it: the
    archival locator with / between levels, and the sheets when the source gave them.
    A citation ("GAPPOD, f.1, op.89, d.112") is not a key: `opis ref` prints a
    citation's key. When no record has the key given, nothing is deleted and the
    message names the record(s) the text most likely meant. Exit status 1 if any KEY
    held no record.
    """
    settings = _settings(config_path)
    _check_store(settings)
    results = asyncio.run(_delete(settings, list(keys)))
    failed = False
    for key, status, problem in results:
        if status is None:
            failed = True
            click.echo(f"FAILED  {key}: {problem}", err=True)
        else:
            click.echo(f"{status:<9} {key}")
    sys.exit(1 if failed else 0)


async def _delete(settings: Settings, keys: list[str]) -> list[tuple[str, str | None, str]]:
    """(argument, status or None, why nothing was deleted) for each argument, in order.

    An argument that is no stored key is never deleted under another key, even when it
    is plainly a citation of one record: a deletion is published to every harvester and
    cannot be taken back by running the command again, and a citation can name a unit
    of several documents, or sheets the stored key does not have. The message names
    the key instead, so the operator deletes it knowingly.
    """
    from repository.store import Store

    store = await Store(settings.database.url).open()
    try:
        out: list[tuple[str, str | None, str]] = []
        for key in keys:
            outcome = await store.delete(key.strip("/"))
            if outcome is not None:
                out.append((key, outcome.status, ""))
            else:
                out.append((key, None, await _not_found(store, key.strip().strip("/"))))
        await store.stamp()
        return out
    finally:
        await store.close()


async def _not_found(store: Store, text: str) -> str:
    """Why ``text`` deleted nothing, naming the live records it most likely meant: read as
    a key (with or without sheets) or else as a citation, the document it names exactly,
    else the documents filed in its archival unit."""
    from metadata.references import document_key, parse, parse_key, unit_key
    from repository.store import NotFound, browse

    as_key = True
    reference: Reference | None
    try:
        reference = parse_key(text.split("/doc.", 1)[0])
    except ValueError:
        as_key = False
        reference = next((r for r in parse(text).references if r.archive), None)
    if reference is None:
        return "no such record"
    exact, unit = _key(document_key, reference), _key(unit_key, reference)
    meant: list[str] = []
    more = 0
    if exact and exact != text:
        try:
            stored = await store.get(exact)
        except NotFound:
            pass
        else:
            if stored.deleted:
                return f"no such record; the record it names, {exact}, is already deleted"
            meant = [exact]
    if not meant and unit:
        async with store.snapshot() as conn:
            count, listed = await browse.documents(conn, unit, limit=SUGGESTED + 1)
        meant = [d.key for d in listed][:SUGGESTED]
        more = count - len(meant)
    takes_keys = "" if as_key else " (opis delete takes keys)"
    if not meant:
        if as_key or not exact:
            return f"no such record{takes_keys}"
        return f"no such record, nor under {exact}, the key that citation gives{takes_keys}"
    named = meant[0] if len(meant) == 1 else "one of " + ", ".join(meant)
    if more:
        named += f" (and {more} more in {unit})"
    return f"no record under the key '{text}'; did you mean {named}?{takes_keys}"


def _key(function: Callable[[Reference], str | None], reference: Reference) -> str | None:
    try:
        return function(reference)
    except ValueError:  # UnkeyableReference: an archive code or level no key has
        return None


# -- harvest ----------------------------------------------------------------------------


@main.command(short_help="Import another repository's records over OAI-PMH.")
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
@click.option(
    "--archive",
    default=None,
    help="Key records without a citation under this code (default: from the source's Identify).",
)
@click.option("--retries", type=int, default=8, show_default=True, help="Attempts per request.")
@click.option("--timeout", type=float, default=60, show_default=True, help="Seconds per request.")
@click.option("--max-wait", type=float, default=300, show_default=True, help="Longest retry wait.")
@verbose_option
def harvest(
    config_path: str | None,
    url: str,
    set_spec: str | None,
    from_: str | None,
    prefix: str,
    map_path: str | None,
    full: bool,
    archive: str | None,
    retries: int,
    timeout: float,
    max_wait: float,
    verbose: bool,
) -> None:
    """Harvest an OAI-PMH repository into this one, incrementally.

    \b
    Examples:
      opis harvest https://example.org/oai
      opis harvest https://example.org/server/oai/request --prefix mods --set col_1

    URL is the provider's OAI-PMH base URL, the address that answers ?verb=Identify
    (it usually ends in /oai or /request), not its home page. The first run takes
    everything; later runs take what changed since, deletions included. A run that
    stops part-way continues from its last page when run again. A record with an
    archival citation is keyed by it; a record from another Opis keeps its key; any
    other is keyed from its OAI identifier under a branch for the source (--archive,
    else its repositoryIdentifier). A record that cannot be stored is tried again on
    every run until it is. Exit status 1 if any record failed. docs/harvest.md has the
    details and the --map format.
    """
    from repository.intake.harvest import command_options
    from repository.intake.harvest import harvest as run_harvest

    settings = _settings(config_path)
    _check_store(settings)
    try:
        options = command_options(
            url,
            set_spec=set_spec,
            from_=from_,
            prefix=prefix,
            map_path=map_path,
            full=full,
            retry=(retries, timeout, max_wait),
            archive=archive,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    report = asyncio.run(run_harvest(settings, options, progress=sys.stderr.isatty()))
    print_report(report, verbose, list_skipped=False)
    sys.exit(1 if report.failed else 0)


# -- db ---------------------------------------------------------------------------------


@main.group(
    cls=_InOrder,
    subcommand_metavar="COMMAND [ARGS]",
    short_help="Upgrade the schema; copy between SQLite and PostgreSQL.",
)
def db() -> None:
    """Database schema upgrades, and moving a repository to another database.

    \b
    Examples:
      opis db upgrade --config opis.toml
      opis db copy sqlite:///opis.db postgresql://postgres@127.0.0.1/opis
    """


@db.command(short_help="Bring the database schema up to date (safe to run again).")
@config_option
def upgrade(config_path: str | None) -> None:
    """Bring the database schema up to date (safe to run again).

    Upgrades database.url from the settings; prints the revision it is at.
    """
    from repository.store.migrate import head
    from repository.store.migrate import upgrade as run_upgrade

    settings = _settings(config_path)
    run_upgrade(settings.database.url)
    click.echo(f"{settings.database.url}: schema at revision {head()}")


@db.command(name="copy", short_help="Copy a whole repository into an empty database.")
@click.argument("source_url")
@click.argument("target_url")
def copy_command(source_url: str, target_url: str) -> None:
    """Copy a whole repository into an empty database (SQLite <-> PostgreSQL).

    SOURCE_URL and TARGET_URL are database URLs (sqlite:///opis.db,
    postgresql://user@host/name). Keys, datestamps, tombstones, sets and the token
    secret travel as they are, so harvests continue across the move. Page image files
    stay in storage.data_dir.
    """
    from repository.intake.gc_tuning import bulk_collection
    from repository.store.copy import copy
    from repository.store.errors import StoreError

    _settings(None)  # the archive registry ($OPIS_CONFIG's too): the copy re-indexes search

    def progress(table: str, done: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{table}: {done}", nl=False, err=True)

    try:
        with bulk_collection():
            counts = asyncio.run(copy(source_url, target_url, progress))
    except StoreError as exc:
        click.echo(f"FAILED  {exc}", err=True)
        sys.exit(1)
    click.echo(", ".join(f"{n} {table}" for table, n in counts.items()))


# -- ref --------------------------------------------------------------------------------


@main.command(short_help="Parse archival citations into JSON (arguments or stdin).")
@config_option
@click.argument("texts", nargs=-1)
def ref(config_path: str | None, texts: tuple[str, ...]) -> None:
    """Parse archival citations; print one JSON object per citation, one per line.

    \b
    Examples:
      opis ref "ГАППОД, ф. 1, оп. 89, д. 112, л. 5 об."
      opis ref < citations.txt             # a file of citations, one per line
      opis ref "FO 371/99999" - < more.txt  # - reads standard input there

    With no TEXT, or where TEXT is -, citations are read from standard input, one per
    line (UTF-8; blank lines skipped). Each object gives the input, archive, levels,
    sheets ("pages"), canonical form and key (the key ingest gives the same citation);
    "archive_known" is false for an archive code the registry does not have (declare it
    in the settings file's [[archives]]); "error" is null when the citation was
    understood. Exit status 1 if any citation was not.
    """
    _settings(config_path)  # installs the registry, with the site's [[archives]]
    failed = False
    for text, problem in citations(texts):
        out = describe(text) if problem is None else unreadable(text, problem)
        failed |= out.get("error") is not None
        click.echo(json.dumps(out, ensure_ascii=False))
    sys.exit(1 if failed else 0)


def citations(texts: tuple[str, ...]) -> Iterator[tuple[str, str | None]]:
    """(citation, problem reading it) for each argument in order; ``-``, or no argument at
    all, stands for standard input's lines, read as they come."""
    for text in texts or ("-",):
        if text != "-":
            yield text, None
            continue
        stdin = sys.stdin.buffer
        if sys.stdin.isatty():
            click.echo("reading citations, one per line (end with Ctrl-D)", err=True)
        for number, raw in enumerate(stdin, 1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                yield raw.decode("utf-8", "replace").strip(), f"line {number} is not UTF-8 ({exc})"
                continue
            if line:
                yield line, None


def describe(text: str) -> dict[str, Any]:
    """The ``opis ref`` object for one input (fields as DESIGN.md fixes them).

    ``key`` is the key ingest gives a document with this citation: the unit's key, and
    the sheets when the citation names them (``.../d.201/ll.3-4``).
    """
    from metadata.references import canonical, document_key, parse, unit_key

    citation = parse(text)
    primary = citation.primary
    out: dict[str, Any] = {
        "input": text,
        "archive": primary.archive if primary else None,
        "levels": [list(level) for level in primary.levels] if primary else [],
        "pages": primary.pages if primary else None,
        "canonical": canonical(primary) if primary else None,
        "key": document_key(primary) if primary else None,
        "archive_known": citation.archive_known,
    }
    if primary is not None and primary.pages:
        out["unit_key"] = unit_key(primary)
    if citation.inferred_archive:
        out["archive_inferred"] = True
    if len(citation.references) > 1:
        out["alternates"] = [
            {
                "archive": r.archive,
                "levels": [list(x) for x in r.levels],
                "pages": r.pages,
                "canonical": canonical(r),
                "key": document_key(r),
            }
            for r in citation.references[1:]
        ]
    if citation.remainder:
        out["remainder"] = citation.remainder
    out["error"] = citation.error
    return out


def unreadable(text: str, problem: str) -> dict[str, Any]:
    """The ``opis ref`` object for an input that could not even be read."""
    return {
        "input": text,
        "archive": None,
        "levels": [],
        "pages": None,
        "canonical": None,
        "key": None,
        "archive_known": False,
        "error": problem,
    }


# -- archives ---------------------------------------------------------------------------


@main.command(short_help="List the archive registry: codes, names, schemes, origin.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per archive.")
def archives(config_path: str | None, as_json: bool) -> None:
    """List the archives citations are read for: the shipped registry and the settings
    file's [[archives]] (which add archives or override shipped ones).

    \b
    Examples:
      opis archives
      opis archives --config opis.toml --json
    """
    from metadata.references.registry import current

    _settings(config_path)
    for archive in current():
        if as_json:
            entry = {
                "code": archive.code,
                "name": archive.name,
                "names": dict(archive.names),
                "aliases": list(archive.aliases),
                "former": list(archive.former),
                "scheme": archive.scheme,
                "levels": list(archive.levels),
                "origin": archive.origin,
            }
            click.echo(json.dumps(entry, ensure_ascii=False))
        else:
            click.echo(
                f"{archive.code:<20} {archive.scheme:<10} {archive.origin:<10} {archive.name}"
            )
