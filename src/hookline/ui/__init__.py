"""Server-rendered overview pages."""
