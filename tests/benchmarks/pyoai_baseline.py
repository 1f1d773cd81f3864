"""The baseline a user would otherwise pick: the ``oaipmh`` package's BatchingServer.

    python -m tests.benchmarks.pyoai_baseline SQLITE_FILE PORT

It reads the same SQLite file Opis wrote (records as JSON, ordered by datestamp),
pages by cursor offset as BatchingServer does, and sits behind the plain aiohttp
wrapper most integrations write (arguments folded into a dict). Used only by
bench_harvest.py, to measure Opis against it in the same run.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys

from aiohttp import web
from oaipmh import common, error, metadata, server

from repository.store import bodies

PREFIX = "oai:opis.example.org:"
EPOCH = dt.datetime(1970, 1, 1)


class Backend:
    """oaipmh.interfaces.IBatchingOAI over Opis's tables, read with plain sqlite3."""

    def __init__(self, path: str, base_url: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.base_url = base_url

    def _read(self, sql: str, parameters: dict) -> list:
        return self.db.execute(sql, parameters).fetchall()

    def identify(self) -> common.Identify:
        (earliest,) = self.db.execute("SELECT min(datestamp) FROM records").fetchone()
        return common.Identify(
            repositoryName="pyoai baseline",
            baseURL=self.base_url,
            protocolVersion="2.0",
            adminEmails=["admin@example.org"],
            earliestDatestamp=_time(earliest),
            deletedRecord="persistent",
            granularity="YYYY-MM-DDThh:mm:ssZ",
            compression=["identity"],
        )

    def listMetadataFormats(self, identifier=None):
        return [
            (
                "oai_dc",
                "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                "http://www.openarchives.org/OAI/2.0/oai_dc/",
            )
        ]

    def listSets(self, cursor=0, batch_size=10):
        rows = self.db.execute(
            "SELECT spec, name FROM sets ORDER BY spec LIMIT ? OFFSET ?", (batch_size, cursor)
        )
        return [(spec, name, None) for spec, name in rows]

    def _rows(self, set_, from_, until, cursor, batch_size):
        low = _us(from_) if from_ else 0
        high = _us(until) + 999_999 if until else 2**62
        if set_:
            query = (
                "SELECT r.id, r.key, r.datestamp, r.deleted, r.data FROM memberships m "
                "JOIN records r ON r.id = m.record_id WHERE m.spec = ? AND "
                "m.datestamp BETWEEN ? AND ? ORDER BY m.datestamp, r.id LIMIT ? OFFSET ?"
            )
            args = (set_, low, high, batch_size, cursor)
        else:
            query = (
                "SELECT id, key, datestamp, deleted, data FROM records WHERE datestamp "
                "BETWEEN ? AND ? ORDER BY datestamp, id LIMIT ? OFFSET ?"
            )
            args = (low, high, batch_size, cursor)
        return self.db.execute(query, args).fetchall()

    def _record(self, row):
        _, key, stamp, deleted, data = row
        sets = [
            s
            for (s,) in self.db.execute(
                "SELECT spec FROM memberships WHERE record_id = ? AND member", (row[0],)
            )
        ]
        header = common.Header(None, PREFIX + key, _time(stamp), sets, bool(deleted))
        if deleted:
            return header, None, None
        record = json.loads(bodies.unpack_quick(self._read, bytes(data)))  # stored compressed
        dc = {
            "title": [record["title"]],
            "creator": record.get("creators", []),
            "date": [record["date"]] if record.get("date") else [],
            "description": [d["value"] for d in record.get("description", [])],
            "language": record.get("language", []),
            "rights": [record["rights"]] if record.get("rights") else [],
            "identifier": [PREFIX + key],
            "source": [record["citation"]] if record.get("citation") else [],
        }
        return header, common.Metadata(None, dc), None

    def listRecords(
        self, metadataPrefix, set=None, from_=None, until=None, cursor=0, batch_size=10
    ):
        _check(metadataPrefix)
        return [self._record(r) for r in self._rows(set, from_, until, cursor, batch_size)]

    def listIdentifiers(
        self, metadataPrefix, set=None, from_=None, until=None, cursor=0, batch_size=10
    ):
        _check(metadataPrefix)
        return [self._record(r)[0] for r in self._rows(set, from_, until, cursor, batch_size)]

    def getRecord(self, metadataPrefix, identifier):
        _check(metadataPrefix)
        row = self.db.execute(
            "SELECT id, key, datestamp, deleted, data FROM records WHERE key = ?",
            (identifier.removeprefix(PREFIX),),
        ).fetchone()
        if row is None:
            raise error.IdDoesNotExistError(identifier)
        return self._record(row)


def _check(prefix):
    if prefix != "oai_dc":
        raise error.CannotDisseminateFormatError(prefix)


def _us(moment: dt.datetime) -> int:
    return int((moment - EPOCH).total_seconds()) * 1_000_000


def _time(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us // 1_000_000 * 1_000_000)


def app(path: str, port: int) -> web.Application:
    registry = metadata.MetadataRegistry()
    registry.registerWriter("oai_dc", server.oai_dc_writer)
    oai = server.BatchingServer(
        Backend(path, f"http://127.0.0.1:{port}/oai"), registry, resumption_batch_size=100
    )

    async def handle(request: web.Request) -> web.Response:
        args = dict(request.query)
        if request.method == "POST":
            args.update(await request.post())
        body = oai.handleRequest(args)
        return web.Response(body=body, content_type="text/xml", charset="utf-8")

    application = web.Application()
    application.router.add_route("*", "/oai", handle)
    return application


if __name__ == "__main__":
    web.run_app(
        app(sys.argv[1], int(sys.argv[2])),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        print=None,
        access_log=None,
    )
