"""Schema migrations (Alembic), one history for SQLite and PostgreSQL."""
