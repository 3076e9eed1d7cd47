"""Interoperability: Anki packages both ways, and plain CSV/JSON exports for people and tools."""
