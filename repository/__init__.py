"""Everything with I/O: storage, the aiohttp application, ingest, the command line, settings."""
