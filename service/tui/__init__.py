"""``dlquiz login`` and ``dlquiz study``: a terminal client that talks to a dlquiz server only through
its public REST API (httpx), so it works against any deployment, as the web page does."""
