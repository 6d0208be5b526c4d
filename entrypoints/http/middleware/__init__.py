"""Pure ASGI middleware for cross-cutting HTTP concerns, configured in create_app()."""
