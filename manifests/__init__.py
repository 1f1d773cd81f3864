"""IIIF, pure: Presentation 3.0 documents and Image API 3.0 request parsing and pixels.

Depends on ``metadata`` only; callers in ``repository`` hand in the bytes and images.
"""
