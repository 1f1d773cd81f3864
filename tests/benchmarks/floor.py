"""The floor for one answer: a bare aiohttp app returning the same bytes from memory.

    python -m tests.benchmarks.floor FILE PORT [CONTENT-TYPE]

Every GET gets FILE's bytes, with no routing beyond aiohttp's, no middleware, no
access log: what aiohttp on this machine costs for a response of that size, so a
benchmark can print a server's rate as a ratio of it, measured in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web


def main() -> None:
    body = Path(sys.argv[1]).read_bytes()
    content_type = sys.argv[3] if len(sys.argv) > 3 else "text/xml"

    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), access_log=None, print=None)


if __name__ == "__main__":
    main()
