"""Spaced repetition: fsrs scheduling per user, the study queue, reviews with undo, and statistics."""
