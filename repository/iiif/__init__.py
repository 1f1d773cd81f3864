"""IIIF: Presentation 3.0 manifests and collections, Image API 3.0, Change Discovery."""
