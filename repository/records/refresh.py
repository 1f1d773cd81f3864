"""Re-rendering stored records when what their metadata depends on has changed.

A new crosswalk release, another public URL or repository name all change the bytes
harvesters get, so the affected records are rendered again and their datestamps move
(through the usual pending-then-stamped path), and incremental harvests pick them up.
The server runs this in the background at start-up; until it finishes, the previous
renditions (still valid XML) are served.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import delete, select, update

from metadata.record import Record
from repository.records.renditions import Renderer
from repository.store import Store
from repository.store.engine import write_transaction
from repository.store.schema import memberships, records, renditions

log = logging.getLogger("opis")


async def refresh(store: Store, renderer: Renderer, batch: int = 500) -> int:
    """Render every live record whose renditions are out of date; returns how many."""
    done = 0
    while True:
        async with write_transaction(store.engine) as conn:
            rows = (
                await conn.execute(
                    select(records.c.id, records.c.data)
                    .where(records.c.render_version != renderer.version, ~records.c.deleted)
                    .order_by(records.c.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                break
            ids = [r.id for r in rows]
            bodies = [
                {"record_id": r.id, "format": fmt, "body": body}
                for r in rows
                for fmt, body in renderer.render(Record.from_json(json.loads(r.data))).items()
            ]
            await conn.execute(delete(renditions).where(renditions.c.record_id.in_(ids)))
            await conn.execute(renditions.insert(), bodies)
            await conn.execute(
                update(records)
                .where(records.c.id.in_(ids))
                .values(render_version=renderer.version, datestamp=None)
            )
            await conn.execute(
                update(memberships).where(memberships.c.record_id.in_(ids)).values(datestamp=None)
            )
        done += len(rows)
        await store.stamp()
    if done:
        log.info("re-rendered %d records (render version now %s)", done, renderer.version)
    return done
