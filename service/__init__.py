"""dlquiz's web service: cards from ``content/``, study state in SQL, a REST API and a web frontend."""
