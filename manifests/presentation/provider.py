"""The repository as the ``provider`` Agent of every manifest and collection (P3 §3.3)."""

from __future__ import annotations

from iiif_prezi3 import Provider

from .context import PresentationContext
from .exact import ExactUrls
from .language import en


def provider(ctx: PresentationContext, exact: ExactUrls) -> Provider:
    """Agent ``{id, label, homepage}``: the repository, identified by its home page."""
    home = exact(f"{ctx.base}/")
    return Provider(
        id=home,
        type="Agent",
        label=en(ctx.repository_name),
        homepage=[
            {"id": home, "type": "Text", "label": en(ctx.repository_name), "format": "text/html"}
        ],
    )
