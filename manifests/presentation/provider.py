"""The repository as the ``provider`` Agent of every manifest and collection (P3 §3.3)."""

from __future__ import annotations

from iiif_prezi3 import Provider

from .context import PresentationContext
from .exact import ExactUrls
from .language import en
from .markup import safe_label


def provider(ctx: PresentationContext, exact: ExactUrls) -> Provider:
    """Agent ``{id, label, homepage}``: the repository, identified by its home page."""
    home = exact(f"{ctx.base}/")
    name = safe_label(en(ctx.repository_name))
    return Provider(
        id=home,
        type="Agent",
        label=name,
        homepage=[{"id": home, "type": "Text", "label": name, "format": "text/html"}],
    )
