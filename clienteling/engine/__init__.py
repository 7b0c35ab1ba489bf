"""The domain engine: models, rules and services. No Qt, no HTTP, no web framework."""
