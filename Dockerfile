# dlquiz service image (untested here: this machine has no Docker engine).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY service ./service
COPY verifier ./verifier
COPY content ./content
RUN pip install -e .

RUN useradd --create-home dlquiz && mkdir -p /app/data && chown dlquiz /app/data
USER dlquiz
EXPOSE 8000
# `dlquiz serve` applies migrations and syncs content/ before it starts uvicorn.
CMD ["dlquiz", "serve", "--host", "0.0.0.0", "--port", "8000"]
