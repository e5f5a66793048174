"""hookline: durable, signed, retrying webhooks for a host platform's domain events."""
