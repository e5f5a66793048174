"""The HTTP API: FastAPI app factory, one router per resource, problem+json errors."""
