"""Operations: health, Prometheus metrics, request logs, the middlewares around every request."""
