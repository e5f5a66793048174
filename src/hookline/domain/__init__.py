"""Pure rules of hookline: no I/O, no clock reads, no imports from the rest of the project."""
