"""Numeric questions: instances from the verifier's generators, graded attempts, worked solutions."""
