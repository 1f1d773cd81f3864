"""The write API: records over HTTP with bearer tokens, described by OpenAPI."""
