"""SQL persistence: declarative base, engine and session factories, ORM models."""
