"""Conditional GET, as every feature answers it (``repository/http/conditional.py``).

A client that has a response keeps its ``ETag`` and sends it back in ``If-None-Match``;
when that names what the server would send now, the answer is 304 with no body.
``If-None-Match`` is a list, compared weakly (RFC 9110 §13.1.2); ``If-Modified-Since``
counts only without it (§13.1.3). The end-to-end checks send the header a cache that
holds two versions sends, ``"x", <current tag>``, and ``*``, to each feature that
answers 304.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import make_mocked_request

from repository.http.conditional import (
    client_is_current,
    etag_for,
    names_current,
    not_modified,
    unmodified_since,
)
from repository.http.dates import http_date, parse_http_date
from tests.iiif_rules import request, write_folder
from tests.live import LiveServer, ingest, make_settings

OURS = etag_for(b"the page as sent")
GZ = OURS[:-1] + '-gz"'
CHANGED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC).timestamp()
AT_CHANGE = "Wed, 01 May 2024 12:00:00 GMT"
BEFORE_CHANGE = "Wed, 01 May 2024 11:59:59 GMT"


# -- the entity tag ------------------------------------------------------------------------


def test_the_tag_is_a_quoted_hash_of_the_bytes():
    digest = hashlib.sha256(b"the page as sent").hexdigest()
    assert etag_for(b"the page as sent") == f'"{digest[:32]}"', "strong: no W/ prefix"
    assert etag_for(b"the page as changed") != OURS


# -- If-None-Match ---------------------------------------------------------------------------


def test_our_tag_alone_matches():
    assert names_current(OURS, [OURS])


def test_any_tag_of_a_list_matches_not_only_the_first():
    assert names_current(f'"a", {OURS}', [OURS])
    assert names_current(f'"a",{OURS} , "b"', [OURS])


def test_a_list_matches_its_second_tag():
    assert names_current('"a", "b"', ['"b"'])
    assert not names_current('"a", "b"', ['"c"'])


def test_star_matches_whatever_we_have():
    assert names_current("*", [OURS])
    assert names_current(" * ", [OURS])


def test_a_weak_prefix_is_ignored_for_get():
    assert names_current(f"W/{OURS}", [OURS])
    assert names_current(f'"x", W/{OURS}', [OURS])


def test_a_tag_that_is_part_of_ours_is_another_tag():
    inside = '"' + OURS[1:9] + '"'
    assert not names_current(inside, [OURS])
    assert not names_current(OURS[:-1], [OURS]), "an unterminated tag is no tag"
    assert not names_current(OURS[1:-1], [OURS]), "unquoted is not our tag"


def test_a_tag_that_contains_ours_is_another_tag():
    assert not names_current(f'"v1-{OURS[1:-1]}"', [OURS])
    assert not names_current(GZ, [OURS]), "the gzip tag matches only where it is current"
    assert names_current(GZ, [OURS, GZ])


def test_an_empty_header_matches_nothing():
    assert not names_current("", [OURS])
    assert not names_current("*", []), "no current representation: * has nothing to match"


# -- If-Modified-Since -----------------------------------------------------------------------


def test_unmodified_since_a_date_at_or_after_the_change():
    assert unmodified_since(AT_CHANGE, CHANGED)
    assert unmodified_since("Thu, 02 May 2024 00:00:00 GMT", CHANGED)
    assert not unmodified_since(BEFORE_CHANGE, CHANGED)


def test_fractions_of_a_second_do_not_count():
    assert unmodified_since(AT_CHANGE, CHANGED + 0.9), "Last-Modified says whole seconds"


def test_the_obsolete_date_forms_are_read_too():
    assert unmodified_since("Wednesday, 01-May-24 12:00:00 GMT", CHANGED)
    assert unmodified_since("Wed May  1 12:00:00 2024", CHANGED)


@pytest.mark.parametrize("value", ["", "yesterday", "0", "Wed, 41 May 2024 12:00:00 GMT"])
def test_a_date_that_cannot_be_read_is_ignored(value):
    assert parse_http_date(value) is None
    assert not unmodified_since(value, CHANGED)
    assert not client_is_current({"If-Modified-Since": value}, [OURS], CHANGED)


def test_if_modified_since_is_ignored_when_if_none_match_is_present():
    other = {"If-None-Match": '"older"', "If-Modified-Since": AT_CHANGE}
    assert not client_is_current(other, [OURS], CHANGED), "the tag decides: it differs"
    same = {"If-None-Match": OURS, "If-Modified-Since": BEFORE_CHANGE}
    assert client_is_current(same, [OURS], CHANGED), "the tag decides: it is ours"


def test_if_modified_since_needs_a_modification_time():
    assert client_is_current({"If-Modified-Since": AT_CHANGE}, [OURS], CHANGED)
    assert not client_is_current({"If-Modified-Since": AT_CHANGE}, [OURS], None)


def test_dates_are_written_in_the_preferred_form_and_read_back():
    assert http_date(CHANGED) == AT_CHANGE
    assert parse_http_date(AT_CHANGE) == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_http_date("Wed, 01 May 2024 14:00:00 +0200") == parse_http_date(AT_CHANGE)


# -- the 304 itself --------------------------------------------------------------------------


def _request(method: str = "GET", **headers: str):
    return make_mocked_request(method, "/", headers=headers)


def test_a_304_carries_the_headers_the_200_would_have():
    headers = {"ETag": OURS, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    answer = not_modified(_request(**{"If-None-Match": f'"x", {OURS}'}), headers)
    assert answer is not None and answer.status == 304 and not answer.body
    assert {name: answer.headers[name] for name in headers} == headers


def test_no_304_when_the_client_has_something_else_or_nothing():
    headers = {"ETag": OURS}
    assert not_modified(_request(**{"If-None-Match": '"x"'}), headers) is None
    assert not_modified(_request(), headers) is None


def test_other_current_tags_count_when_the_caller_names_them():
    headers = {"ETag": OURS}
    held = _request(**{"If-None-Match": GZ})
    assert not_modified(held, headers) is None
    assert not_modified(held, headers, etags=[OURS, GZ]) is not None


def test_last_modified_is_used_only_when_given():
    since = _request(**{"If-Modified-Since": AT_CHANGE})
    assert not_modified(since, {"ETag": OURS}) is None
    assert not_modified(since, {"ETag": OURS}, last_modified=CHANGED) is not None


def test_only_get_and_head_become_304():
    header = {"If-None-Match": OURS}
    assert not_modified(_request("HEAD", **header), {"ETag": OURS}) is not None
    assert not_modified(_request("PUT", **header), {"ETag": OURS}) is None


# -- every feature, end to end ---------------------------------------------------------------

KEY = "GAPPOD/f.1/op.89/d.112"
RECORD = {
    "reference": "GAPPOD, f.1, op.89, d.112",
    "title": "Letter about delayed talks",
    "source": {"id": "conditional-1"},
    "pages": [{"image": "p1.jpg", "label": "л. 1"}],
}


@pytest.fixture(scope="module")
def site(module_database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("conditional")
    settings = make_settings(module_database_url, folder / "data")
    report = ingest(settings, [write_folder(folder / "letter", record=RECORD)])
    assert not report.count("failed"), report.entries
    with LiveServer(settings) as server:
        yield server


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(f"/records/{KEY}", id="web page"),
        pytest.param(f"/iiif/3/{KEY}/manifest", id="manifest"),
        pytest.param(f"/api/records/{KEY}", id="record API"),
        pytest.param("/iiif/discovery/collection.json", id="discovery collection"),
    ],
)
def test_a_list_naming_the_current_tag_or_a_star_gives_304(site, path):
    first = request(site.url(path))
    assert first.status == 200, (path, first.status, first.body[:300])
    etag = first.headers["etag"]
    again = request(site.url(path), headers={"If-None-Match": f'"x", {etag}'})
    assert again.status == 304 and again.body == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    assert request(site.url(path), headers={"If-None-Match": "*"}).status == 304
    assert request(site.url(path), headers={"If-None-Match": '"x"'}).status == 200
