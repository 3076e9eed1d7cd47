"""HTTP adapters: dependencies, error handlers and one router per resource."""
