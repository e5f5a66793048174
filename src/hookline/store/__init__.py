"""Persistence: the tables, every SQL statement (one module per aggregate) and the migrations."""
