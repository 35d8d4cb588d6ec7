"""The HTTP server: the app factory, routes, middleware, warm-up and runtime settings."""
