"""The real corpus as IIIF: every manifest and every collection up the tree, validated.

Each page text of ``../shared/corpus`` becomes a document folder with two generated
page images, is ingested, served, and crawled over HTTP from the top collection.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.iiif_rules import crawl, request, write_folder
from tests.live import LiveServer, ingest, make_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    corpus = shared_path("corpus")
    root = tmp_path_factory.mktemp("corpus")
    texts = sorted(corpus.glob("*.txt"))
    return [
        write_folder(root / text.stem, text=text.read_text(encoding="utf-8"), seed=n)
        for n, text in enumerate(texts, 1)
    ]


@pytest.fixture(scope="module")
def images_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


def test_corpus_tree_is_valid_iiif(database_url, corpus_folders, images_dir):
    settings = make_settings(database_url, images_dir)
    report = ingest(settings, corpus_folders)
    stored = [e for e in report.entries if e.key]
    assert not report.failed and len(stored) == len(corpus_folders), report.summary()
    with LiveServer(settings) as server:
        found = crawl(server.base)
        expected = {f"{server.base}/iiif/3/{e.key}/manifest" for e in stored}
        assert set(found.manifests) == expected
        for url, doc in found.manifests.items():
            assert len(doc["items"]) == 2, url
            assert doc["rights"].startswith("http://"), url
        # every container on the way up is a collection that was reached from the top
        for key in (e.key for e in stored):
            segments = key.split("/")
            for n in range(1, len(segments)):
                prefix = "/".join(segments[:n])
                url = f"{server.base}/iiif/3/{prefix}/collection"
                if request(url).status == 200:
                    assert url in found.collections or any(
                        c.startswith(url) for c in found.collections
                    ), url
        seed = next(e.key for e in stored if "seed-gappod" in e.source)
        letter = found.manifests[f"{server.base}/iiif/3/{seed}/manifest"]
        assert any("%2F" in url for url in found.manifests)  # keys with escaped values
        assert any("%C3%89" in url for url in found.manifests)
        assert letter["rights"] == "http://rightsstatements.org/vocab/InC-EDU/1.0/"
        assert letter["navDate"] == "1946-04-20T00:00:00Z"
        assert letter["items"][0]["annotations"][0]["items"][0]["motivation"] == "supplementing"
