"""Accounts and access: registration, Argon2 password hashes, opaque bearer tokens stored by hash."""
