"""Re-rendering stored records when what their metadata depends on has changed.

A new crosswalk or manifest-builder release, another repository name or OAI namespace
all change the bytes harvesters get, so the affected records are rendered again and
their datestamps move (through the usual pending-then-stamped path): incremental
harvests pick them up, and each changed manifest gets an Update in the Change Discovery
log. Another public URL is not among them: stored renditions keep the store's rendition
base, and serving puts the configured one in (``repository/store/bases.py``).
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
    done = await store.rerender(renderer.version, renderer.renditions, batch, base=renderer.base)
    if done:
        log.info("re-rendered %d records (render version now %s)", done, renderer.version)
    return done
