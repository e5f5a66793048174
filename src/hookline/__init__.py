"""hookline: durable, signed, retrying webhooks for a host platform's domain events."""

__version__ = "0.1.0"
