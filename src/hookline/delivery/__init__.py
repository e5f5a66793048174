"""Delivery: claim due Webhooks, send them, record each attempt with the next state."""
