"""IIIF Change Discovery 1.0: walking the stream backwards gives exactly the live manifests,
also while records are being written, and full pages never change."""

from __future__ import annotations

import json
import urllib.request

import pytest

from repository.iiif.responses import EXPOSE
from repository.intake.demo import page_image
from repository.keys import STORE
from repository.oai.dates import format_us
from tests.iiif_rules import request
from tests.live import LiveServer, ingest, make_settings
from tests.writer import while_writing

MEDIA = 'application/ld+json;profile="http://iiif.io/api/discovery/1/context.json"'


def _get(url: str) -> tuple[dict, dict]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read()), dict(response.headers)


class Follower:
    """An aggregator: walks back from the last page to what it already processed."""

    def __init__(self, collection_url: str) -> None:
        self.url = collection_url
        self.done = 0
        self.state: dict[str, tuple[str, str]] = {}

    def sync(self) -> int:
        collection, _ = _get(self.url)
        assert collection["type"] == "OrderedCollection"
        total = collection["totalItems"]
        url = collection["last"]["id"]
        fresh: list[dict] = []
        while url:
            page, _ = _get(url)
            assert page["type"] == "OrderedCollectionPage"
            start = page["startIndex"]
            items = page["orderedItems"]
            fresh = [x for n, x in enumerate(items, start) if self.done <= n < total] + fresh
            if start <= self.done:
                break
            url = page.get("prev", {}).get("id")
        for activity in fresh:  # oldest first, so the latest activity of a manifest wins
            assert activity["type"] in {"Create", "Update", "Delete"}
            assert activity["object"]["type"] == "Manifest"
            self.state[activity["object"]["id"]] = (activity["type"], activity["endTime"])
        self.done = total
        return len(fresh)

    def live(self) -> set[str]:
        return {m for m, (kind, _) in self.state.items() if kind != "Delete"}


def _documents(folder, count, image):
    path = folder / "docs.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "reference": f"RGANI, f. 5, op. 30, d. {n}",
                    "title": f"Doc {n}",
                    "source": {"id": f"d{n}"},
                    "pages": [image] if n % 4 else [],
                }
            )
            for n in range(count)
        )
    )
    return path


async def _manifests(server) -> dict[str, int]:
    """manifest URL -> OAI datestamp, for every live record with page images."""
    from sqlalchemy import select

    from repository.store.schema import pages, records

    async with server.app[STORE].engine.connect() as conn:
        rows = await conn.execute(
            select(records.c.key, records.c.datestamp).where(
                ~records.c.deleted, records.c.id.in_(select(pages.c.record_id))
            )
        )
        return {f"{server.settings.base_url}/iiif/3/{k}/manifest": d for k, d in rows}


def test_walking_back_gives_the_live_manifests(database_url, tmp_path):
    (tmp_path / "p.jpg").write_bytes(page_image(["x"], seed=2, title="x"))
    settings = make_settings(database_url, tmp_path / "data", iiif={"discovery_page_size": 4})
    ingest(settings, [_documents(tmp_path, 17, "p.jpg")])
    with LiveServer(settings) as server:
        collection_url = server.url("/iiif/discovery/collection.json")
        first = Follower(collection_url)
        assert first.sync() == 17 - 5  # documents without pages have no manifest
        assert first.live() == set(server.call(_manifests(server)))
        page0, headers = _get(server.url("/iiif/discovery/page/0.json"))
        assert headers["Content-Type"] == MEDIA and headers["Access-Control-Allow-Origin"] == "*"
        assert "immutable" in headers["Cache-Control"]
        # change: one loses its page, one is deleted, one updated, one new
        path = tmp_path / "change.jsonl"
        path.write_text(
            "\n".join(
                json.dumps(x)
                for x in [
                    {
                        "reference": "RGANI, f. 5, op. 30, d. 1",
                        "title": "Doc 1",
                        "source": {"id": "d1"},
                    },
                    {
                        "reference": "RGANI, f. 5, op. 30, d. 2",
                        "title": "Doc 2 new",
                        "source": {"id": "d2"},
                        "pages": ["p.jpg"],
                    },
                    {
                        "reference": "RGANI, f. 5, op. 30, d. 99",
                        "title": "New",
                        "source": {"id": "d99"},
                        "pages": ["p.jpg"],
                    },
                ]
            )
        )
        ingest(settings, [path])
        server.call(server.app[STORE].delete("RGANI/f.5/op.30/d.3"))
        server.call(server.app[STORE].stamp())
        assert first.sync() == 4
        truth = server.call(_manifests(server))
        assert first.live() == set(truth)
        kinds = {m.rsplit("d.", 1)[1].split("/")[0]: k for m, (k, _) in first.state.items()}
        assert (kinds["1"], kinds["2"], kinds["3"], kinds["99"]) == (
            "Delete",
            "Update",
            "Delete",
            "Create",
        )
        for manifest, stamp in truth.items():
            assert first.state[manifest][1] == format_us(stamp), "endTime = OAI datestamp"
        again, _ = _get(server.url("/iiif/discovery/page/0.json"))
        assert again == page0, "a full page never changes"
        fresh = Follower(collection_url)
        fresh.sync()
        assert fresh.live() == set(truth)


@pytest.mark.parametrize("writers", [2])
def test_following_the_stream_while_records_change(database_url, tmp_path, writers):
    settings = make_settings(database_url, tmp_path / "data", iiif={"discovery_page_size": 7})
    with LiveServer(settings) as server:
        follower = Follower(server.url("/iiif/discovery/collection.json"))
        for _ in while_writing(settings, writers, records=30, seconds=6, pages=True):
            follower.sync()
        truth = server.call(_manifests(server))
    assert follower.live() == set(truth)
    assert sum(1 for k, _ in follower.state.values() if k == "Delete") > 0


def test_another_origin_can_read_the_stream_s_validators(sqlite_url, tmp_path):
    """CORS exposes ETag (and the rest of the IIIF list) on the stream, 304s included, so
    an aggregator running in a browser can revalidate pages."""
    (tmp_path / "p.jpg").write_bytes(page_image(["x"], seed=2, title="x"))
    settings = make_settings(sqlite_url, tmp_path / "data", iiif={"discovery_page_size": 2})
    ingest(settings, [_documents(tmp_path, 5, "p.jpg")])
    origin = {"Origin": "https://aggregator.example"}
    with LiveServer(settings) as server:
        for path in ("/iiif/discovery/collection.json", "/iiif/discovery/page/0.json"):
            reply = request(server.url(path), headers=origin)
            assert reply.status == 200
            assert reply.headers["access-control-allow-origin"] == "*"
            exposed = {h.strip() for h in reply.headers["access-control-expose-headers"].split(",")}
            assert exposed == {h.strip() for h in EXPOSE.split(",")} and "ETag" in exposed
            again = request(
                server.url(path), headers={**origin, "If-None-Match": reply.headers["etag"]}
            )
            assert again.status == 304
            assert again.headers["access-control-expose-headers"] == EXPOSE
            assert again.headers["access-control-allow-origin"] == "*"
            # If-None-Match is not a CORS-safelisted header: the browser asks first
            asked = request(
                server.url(path),
                "OPTIONS",
                {
                    **origin,
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "if-none-match",
                },
            )
            assert asked.status == 204 and asked.headers["access-control-allow-origin"] == "*"
            assert "if-none-match" in asked.headers["access-control-allow-headers"].lower()
        manifest = request(server.url("/iiif/3/RGANI/f.5/op.30/d.1/manifest"), headers=origin)
        assert manifest.status == 200, "the same list as every other IIIF response"
        assert manifest.headers["access-control-expose-headers"] == EXPOSE
