# Storefront API image: `docker build -t storefront .`, then
#   docker run --read-only --tmpfs /tmp -v storefront-data:/app/data -p 127.0.0.1:8000:8000 storefront
# (SQLite in the /app/data volume; the root filesystem stays read-only), or `docker compose up`
# for the API on a MongoDB replica set.
ARG PYTHON_VERSION=3.12

# --- build: a virtualenv with the pinned dependencies, then the project itself -------------
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies in their own layer: it changes only with pyproject.toml or constraints.txt.
# The runtime requirements are read from pyproject.toml and pinned by constraints.txt.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip install -c constraints.txt -r requirements.txt

COPY README.md ./
COPY domain ./domain
COPY application ./application
COPY adapters ./adapters
COPY entrypoints ./entrypoints
RUN pip install --no-deps . \
 && python -c "import entrypoints.http.app, uvloop, httptools"

# --- runtime: the virtualenv only, as an unprivileged user --------------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    SQLITE_PATH=/app/data/storefront.db
RUN groupadd --system --gid 10001 storefront \
 && useradd --system --uid 10001 --gid storefront --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin storefront \
 && mkdir -p /app/data \
 && chown -R storefront:storefront /app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
# The only place the service writes (SQLite, its JWT secret file); /tmp aside, everything else
# can be mounted read-only (`--read-only`, compose's `read_only: true`).
VOLUME ["/app/data"]

EXPOSE 8000
# The slim image has no curl: ask /health/live with the standard library (non-2xx raises).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]
# uvicorn picks uvloop and httptools (uvicorn[standard]) by itself.
CMD ["storefront", "serve", "--host", "0.0.0.0", "--port", "8000"]
