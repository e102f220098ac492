# Multi-stage: build a virtual environment from the pinned constraints, then copy it into a slim
# runtime image that runs as a non-root user. Migrations are a separate command, never run by the
# entrypoint:  docker run --env-file prod.env homecoming homecoming db upgrade
# Behind a reverse proxy, list it in HOMECOMING_TRUSTED_PROXIES so throttling sees client addresses.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir -c constraints.txt .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /srv/homecoming homecoming
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/homecoming
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    HOMECOMING_ENV=production
USER homecoming
EXPOSE 8000
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
