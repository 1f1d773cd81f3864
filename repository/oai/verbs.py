"""The six verbs. Each returns the bytes that go between ``<request>`` and the end.

List verbs page by (datestamp, id) inside a window whose upper bound is frozen at the
first page (the clock of that page's snapshot, see store/clock.py): records changed
during a harvest leave the window instead of moving inside it, so nothing unchanged is
skipped or repeated. The token also names the first record of the next page; if that
record changed meanwhile, the page starts with its current state (its datestamp is
then past the window, so it is not repeated later), which means no page is ever empty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from metadata.crosswalks import FORMATS
from repository.oai import dates, tokens, xml
from repository.oai.arguments import OAIRequest
from repository.oai.errors import OAIError, OAIErrors
from repository.settings import Settings
from repository.store import Store, reads
from repository.store.bases import Rebase
from repository.store.clock import now_us, read_clock
from repository.store.engine import Reader

STALE_CLOCK_US = 2_000_000
_DC = "http://purl.org/dc/elements/1.1/"
_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"


@dataclass
class DataProvider:
    """What every verb answers from: the store, the settings and this request's base URL.

    ``rebase`` is set when the store's renditions were written with another public URL
    than the configured one: each stored body is then served with the configured base
    (``repository/store/bases.py``); otherwise stored bytes go out as they are.
    """

    store: Store
    settings: Settings
    secret: bytes
    base_url: str
    response_date: str = field(default_factory=lambda: dates.format_us(now_us()))
    rebase: Rebase | None = None

    def served(self, body: bytes | None) -> bytes | None:
        """A stored OAI record body as this server serves it."""
        return self.rebase.xml(body) if self.rebase is not None and body else body

    def identifier(self, key: str) -> str:
        return self.settings.repository.oai_prefix + key

    def key_of(self, identifier: str) -> str | None:
        prefix = self.settings.repository.oai_prefix
        return identifier[len(prefix) :] if identifier.startswith(prefix) else None

    @property
    def lifetime(self) -> int:
        return self.settings.oai.token_lifetime_days * 86_400


async def identify(ctx: DataProvider, request: OAIRequest) -> bytes:
    async with ctx.store.snapshot() as conn:
        earliest = await reads.earliest(conn)
        sample = await reads.first_key(conn)
    repo = ctx.settings.repository
    sample_id = ctx.identifier(sample or "GAPPOD/f.1/op.89/d.112")
    return "".join(
        [
            "<Identify>",
            xml.element("repositoryName", repo.name),
            xml.element("baseURL", ctx.base_url),
            "<protocolVersion>2.0</protocolVersion>",
            xml.element("adminEmail", repo.admin_email),
            f"<earliestDatestamp>{dates.format_us(earliest or now_us())}</earliestDatestamp>",
            "<deletedRecord>persistent</deletedRecord>",
            "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>",
            "<compression>gzip</compression>",
            "<description>",
            '<oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier '
            'http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">',
            "<scheme>oai</scheme>",
            xml.element("repositoryIdentifier", repo.identifier),
            "<delimiter>:</delimiter>",
            xml.element("sampleIdentifier", sample_id),
            "</oai-identifier></description></Identify>\n",
        ]
    ).encode()


async def list_metadata_formats(ctx: DataProvider, request: OAIRequest) -> bytes:
    prefixes = list(FORMATS)
    identifier = request.get("identifier")
    if identifier is not None:
        async with ctx.store.brief_snapshot() as conn:
            header = await _header(ctx, conn, identifier, None)
            if not header.deleted:
                prefixes = await reads.formats_of(conn, header.id)
        prefixes = [p for p in FORMATS if p in prefixes]
        if not prefixes:
            raise OAIError("noMetadataFormats", "this record has no metadata format")
    body = ["<ListMetadataFormats>"]
    for prefix in prefixes:
        fmt = FORMATS[prefix]
        body.append(
            f"<metadataFormat>{xml.element('metadataPrefix', fmt.prefix)}"
            f"{xml.element('schema', _absolute(ctx, fmt.schema))}"
            f"{xml.element('metadataNamespace', fmt.namespace)}</metadataFormat>"
        )
    body.append("</ListMetadataFormats>\n")
    return "".join(body).encode()


def _absolute(ctx: DataProvider, schema: str) -> str:
    """A schema this server serves (``/schemas/...``) as an absolute URL."""
    return ctx.settings.base_url + schema if schema.startswith("/") else schema


async def get_record(ctx: DataProvider, request: OAIRequest) -> bytes:
    """The answer from stamped state (so that it can be memoised until a change)."""
    identifier = request.args["identifier"]
    prefix = request.args["metadataPrefix"]
    problems = []
    key = ctx.key_of(identifier)
    found = await ctx.store.header(key, prefix) if key else None
    if found is None:
        problems.append(_no_such(identifier))
    if prefix not in FORMATS:
        problems.append(_cannot(prefix))
    if problems:
        raise OAIErrors(problems)
    assert found is not None and key is not None
    if found.datestamp is None:  # committed a moment ago, not yet stamped: stamp it now
        await ctx.store.stamp()
        found = await ctx.store.header(key, prefix)
        if found is None:
            raise OAIErrors([_no_such(identifier)])
    if not found.deleted and found.body is None:
        raise OAIErrors([_cannot(prefix)])
    header = xml.header(identifier, found.datestamp, found.sets, found.deleted)
    return b"<GetRecord>" + xml.record(header, ctx.served(found.body)) + b"</GetRecord>\n"


async def list_records(ctx: DataProvider, request: OAIRequest) -> bytes:
    return await _list(ctx, request, "ListRecords")


async def list_identifiers(ctx: DataProvider, request: OAIRequest) -> bytes:
    return await _list(ctx, request, "ListIdentifiers")


async def list_sets(ctx: DataProvider, request: OAIRequest) -> bytes:
    limit = ctx.settings.oai.set_page_size
    token = request.get("resumptionToken")
    async with ctx.store.snapshot() as conn:
        if token is not None:
            position = tokens.decode(token, "ListSets", ctx.secret, ctx.lifetime)
            after, cursor, total = position.next_spec, position.cursor, position.total
            rows = await reads.set_page(conn, after, limit + 1, inclusive=True)
        else:
            total = await reads.set_count(conn)
            if total == 0:
                raise OAIError("noSetHierarchy", "this repository has no sets yet")
            cursor = 0
            rows = await reads.set_page(conn, None, limit + 1, inclusive=False)
    if not rows:
        raise OAIError("badResumptionToken", "the sets of this list are gone; start again")
    more = len(rows) > limit
    shown = rows[:limit]
    body = ["<ListSets>"]
    for spec, name, description in shown:
        body.append(f"<set>{xml.element('setSpec', spec)}{xml.element('setName', name)}")
        if description:
            body.append(
                f'<setDescription><oai_dc:dc xmlns:oai_dc="{_OAI_DC}" xmlns:dc="{_DC}" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:schemaLocation="{_OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd">'
                f"{xml.element('dc:description', description)}</oai_dc:dc></setDescription>"
            )
        body.append("</set>")
    out = "".join(body).encode()
    if token is not None or more:
        next_token = ""
        if more:
            position = tokens.Position(
                verb="ListSets",
                prefix=None,
                set_spec=None,
                start=0,
                end=0,
                cursor=cursor + len(shown),
                total=total,
                next_spec=rows[limit][0],
                issued=int(time.time()),
            )
            next_token = tokens.encode(position, ctx.secret)
        out += _token_element(ctx, next_token, cursor, total)
    return out + b"</ListSets>\n"


async def _list(ctx: DataProvider, request: OAIRequest, verb: str) -> bytes:
    token = request.get("resumptionToken")
    if token is not None:
        position = tokens.decode(token, verb, ctx.secret, ctx.lifetime)
        prefix = position.prefix or "oai_dc"
        window = reads.Window(position.start, position.end, position.set_spec)
        cursor, total = position.cursor, position.total
        fmt = prefix if verb == "ListRecords" else None
        limit = ctx.settings.oai.page_size + 1
        async with ctx.store.brief_snapshot() as conn:
            rows = await _resume(conn, window, position, limit, fmt)
        if rows is None:  # the next record changed a moment ago: stamp it, then read again
            await ctx.store.stamp()
            async with ctx.store.brief_snapshot() as conn:
                rows = await _resume(conn, window, position, limit, fmt)
    else:
        prefix = request.args["metadataPrefix"]
        window = _window(request)  # a bad date is a badArgument, before anything else
        if prefix not in FORMATS:
            raise _cannot(prefix)
        # Harvesters that start together ask for the same first page: it is read and
        # written once for all of them (they share its clock, hence its responseDate).
        args = request.args
        key = (verb, prefix, args.get("from"), args.get("until"), args.get("set"))
        clock, body = await ctx.store.in_flight.run(
            key, lambda: _first_page(ctx, request, verb, prefix, window)
        )
        ctx.response_date = dates.format_us(clock)
        return body
    if not rows:  # only if the token's records vanished, which tombstones prevent
        raise OAIError("badResumptionToken", "the records of this list are gone; start again")
    return _list_page(ctx, verb, prefix, window, rows, cursor, total, token is not None)


async def _first_page(
    ctx: DataProvider, request: OAIRequest, verb: str, prefix: str, window: reads.Window
) -> tuple[int, bytes]:
    """A list's first page, and the clock its list is frozen at."""
    await ctx.store.fresh_clock(STALE_CLOCK_US)
    limit = ctx.settings.oai.page_size + 1
    fmt = prefix if verb == "ListRecords" else None

    async def first_page(conn: Reader) -> tuple[int, reads.Window, int, list[reads.Header]]:
        clock = await read_clock(conn)
        frozen = reads.Window(window.start, min(window.end, clock), window.set_spec)
        if frozen.start > frozen.end:
            return clock, frozen, 0, []
        total = await reads.count(conn, frozen, clock)
        rows = await reads.page(conn, frozen, None, limit, fmt) if total else []
        return clock, frozen, total, rows

    if "from" not in request.args and "until" not in request.args:
        # a whole list, sized from kept counts (store/counts.py): a brief read
        async with ctx.store.brief_snapshot() as conn:
            clock, window, total, rows = await first_page(conn)
    else:  # counting a range can take a while: off the event loop
        clock, window, total, rows = await ctx.store.read_in_thread(first_page)
    if total == 0:
        raise OAIError("noRecordsMatch", _no_match_reason(request))
    return clock, _list_page(ctx, verb, prefix, window, rows, 0, total, False)


def _list_page(
    ctx: DataProvider,
    verb: str,
    prefix: str,
    window: reads.Window,
    rows: list[reads.Header],
    cursor: int,
    total: int,
    resumed: bool,
) -> bytes:
    limit, budget = ctx.settings.oai.page_size, ctx.settings.oai.page_bytes
    parts: list[bytes] = [f"<{verb}>\n".encode()]
    size, shown = 0, 0
    for row in rows[:limit]:
        header = xml.header(ctx.identifier(row.key), row.datestamp, row.sets, row.deleted)
        piece = (
            header + b"\n"
            if verb == "ListIdentifiers"
            else xml.record(header, ctx.served(row.body))
        )
        if shown and size + len(piece) > budget:
            break
        parts.append(piece)
        size += len(piece)
        shown += 1
    more = shown < len(rows)
    if more or resumed:
        next_token = ""
        if more:
            nxt = rows[shown]
            position = tokens.Position(
                verb=verb,
                prefix=prefix,
                set_spec=window.set_spec,
                start=window.start,
                end=window.end,
                cursor=cursor + shown,
                total=total,
                next_datestamp=nxt.datestamp,
                next_id=nxt.id,
                issued=int(time.time()),
            )
            next_token = tokens.encode(position, ctx.secret)
        parts.append(_token_element(ctx, next_token, cursor, total))
    parts.append(f"</{verb}>\n".encode())
    return b"".join(parts)


async def _resume(
    conn: Reader,
    window: reads.Window,
    position: tokens.Position,
    limit: int,
    fmt: str | None,
) -> list[reads.Header] | None:
    """The page that starts at the token's next record, whatever became of it.

    None when that record has a change committed but not yet stamped.
    """
    if position.next_datestamp is None or position.next_id is None:
        # Every list token issued here names its next record; only a ListSets token
        # has none, and decode() refuses those for the list verbs.
        raise OAIError("badResumptionToken", "this resumptionToken is malformed")
    start = (position.next_datestamp, position.next_id)
    rows = await reads.page(conn, window, start, limit, fmt, inclusive=True)
    if rows and rows[0].id == position.next_id:
        return rows
    current = await reads.current(conn, position.next_id, window.set_spec, fmt)
    if current is reads.PENDING:
        return None
    return ([current] if current else []) + rows[: limit - 1]


def _window(request: OAIRequest) -> reads.Window:
    start, end = 0, 2**62
    granularities = []
    if "from" in request.args:
        moment, granularity = dates.parse(request.args["from"], "from")
        start = dates.lower_bound(moment)
        granularities.append(granularity)
    if "until" in request.args:
        moment, granularity = dates.parse(request.args["until"], "until")
        end = dates.upper_bound(moment, granularity)
        granularities.append(granularity)
    if len(set(granularities)) > 1:
        raise OAIError("badArgument", "from and until must have the same granularity")
    return reads.Window(start, end, request.get("set"))


def _no_match_reason(request: OAIRequest) -> str:
    if request.get("set"):
        return (
            f"no records in set {request.args['set']} for these dates "
            "(a set that does not exist has no records either)"
        )
    return "no records have datestamps in the requested range"


async def _header(
    ctx: DataProvider, conn: Reader, identifier: str, fmt: str | None
) -> reads.Header:
    key = ctx.key_of(identifier)
    header = await reads.header_by_key(conn, key, fmt) if key else None
    if header is None:
        raise _no_such(identifier)
    return header


def _no_such(identifier: str) -> OAIError:
    return OAIError("idDoesNotExist", f"no record has the identifier {identifier}")


def _cannot(prefix: str) -> OAIError:
    offered = ", ".join(FORMATS)
    return OAIError(
        "cannotDisseminateFormat",
        f"the metadata format {prefix} is not offered (offered: {offered})",
    )


def _token_element(ctx: DataProvider, token: str, cursor: int, total: int) -> bytes:
    expires = None
    if token:
        moment = datetime.fromtimestamp(time.time() + ctx.lifetime, UTC)
        expires = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return xml.resumption_token(token, cursor, total, expires)


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}
