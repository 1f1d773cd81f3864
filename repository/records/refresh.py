"""Re-rendering stored records when what their metadata depends on has changed.

A new crosswalk release, another public URL or repository name all change the bytes
harvesters get, so the affected records are rendered again and their datestamps move
(through the usual pending-then-stamped path), and incremental harvests pick them up.
The server runs this in the background at start-up; until it finishes, the previous
renditions (still valid XML) are served.
"""

from __future__ import annotations

import logging

from repository.records.renditions import Renderer
from repository.store import Store

log = logging.getLogger("opis")


async def refresh(store: Store, renderer: Renderer, batch: int = 500) -> int:
    """Render every live record whose renditions are out of date; returns how many."""
    done = await store.rerender(renderer.version, renderer.renditions, batch)
    if done:
        log.info("re-rendered %d records (render version now %s)", done, renderer.version)
    return done
