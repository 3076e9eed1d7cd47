"""Logical backups of every dlquiz table, restorable into an empty database of either backend."""
