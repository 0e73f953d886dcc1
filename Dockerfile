# Procedura: one image for every service; the Deployment's command chooses which
# (deploy/k8s/base/*.yaml), e.g.
#   procedura-service --config /app/config/procedura.yaml services.documents.service:DocumentsService
#   procedura --config /app/config/procedura.yaml migrate
# Build (needs a Docker/BuildKit engine; none runs on Procedura's dev/CI machines, see
# docs/deploy.md):  docker build -t registry.example.ro/procedura/procedura:0.1.0 .
#
# The base image is pinned by tag; pin it by digest too when you build for production
# (docker buildx imagetools inspect python:3.11.14-slim-bookworm gives the digest).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---- build: a virtualenv with Procedura and its pinned dependencies -----------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# No compiler needed: on x86_64 every compiled dependency comes as a manylinux wheel
# (psycopg2-binary, lxml, cryptography (glibc >= 2.34: bookworm has 2.36), pydantic-core,
# ...); the few packages published only as sdists (psycogreen, odfpy, ...) are pure
# Python and build with setuptools alone, so `--only-binary=:all:` cannot be used.
COPY pyproject.toml constraints.txt ./
COPY services ./services
COPY procedura_cli ./procedura_cli
COPY web/package.json web/package-lock.json ./web/
COPY scripts/pdfjs.sh ./scripts/
# libmagic (bookworm's): versioning tells an upload's type from its bytes with it
# (python-magic), never asking Tika. Installed here and copied into the final stage, which
# runs no package manager; its own dependencies (zlib, bzip2, xz) are in the base image.
# npm (bookworm's, build stage only): pdf.js for the viewer, the pdfjs-dist of
# web/package-lock.json checked against its integrity, copied into the gateway's static files.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmagic1=1:5.44-3 npm=9.2.0~ds1-1 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /opt/libmagic \
 && cp -L "/usr/lib/$(uname -m)-linux-gnu/libmagic.so.1" /usr/lib/file/magic.mgc /opt/libmagic/
# pg_dump and pg_restore (bookworm's PostgreSQL 15 client) for `procedura backup`, copied
# with the shared libraries their packages brought (libpq and what it links) into
# /opt/pgclient; PROCEDURA_PG_BIN points there and the backup gives those libraries to
# pg_dump alone. A server newer than 15 needs a newer client (docs/backup.md).
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN dpkg-query -W -f '${Package}\n' | sort > /tmp/before \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15=15.20-0+deb12u1 \
 && rm -rf /var/lib/apt/lists/* \
 && dpkg-query -W -f '${Package}\n' | sort > /tmp/after \
 && mkdir -p /opt/pgclient/bin /opt/pgclient/lib \
 && cp /usr/lib/postgresql/15/bin/pg_dump /usr/lib/postgresql/15/bin/pg_restore /opt/pgclient/bin/ \
 && comm -13 /tmp/before /tmp/after | xargs dpkg -L | grep -E '/lib/.+\.so(\.[0-9]+)*$' \
    | xargs -r cp -L -t /opt/pgclient/lib/
RUN npm ci --prefix web --ignore-scripts --omit=optional --no-audit --no-fund \
 && scripts/pdfjs.sh copy
RUN python -m venv /opt/procedura \
 && /opt/procedura/bin/pip install --prefer-binary -c constraints.txt . \
 && /opt/procedura/bin/python -m compileall -q /opt/procedura/lib

# ---- runtime: the virtualenv, the settings file, a user with no privileges ----------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="procedura" \
      org.opencontainers.image.description="Procedura services (nameko) and the procedura CLI" \
      org.opencontainers.image.source="deploy/k8s, docs/deploy.md"
RUN groupadd --system --gid 10001 procedura \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp \
            --shell /usr/sbin/nologin procedura
COPY --from=build /opt/procedura /opt/procedura
COPY --from=build /opt/libmagic /opt/libmagic
COPY --from=build /opt/pgclient /opt/pgclient
# the settings and the default workflows (config/workflows.yaml; PROCEDURA_WORKFLOWS)
COPY config/ /app/config/
# HOME and TIKA_LOG_PATH: the only writable place is /tmp (an emptyDir on Kubernetes,
# where the root filesystem is read-only); the tika client writes tika.log at import.
ENV PATH=/opt/procedura/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TIKA_LOG_PATH=/tmp \
    LD_LIBRARY_PATH=/opt/libmagic \
    MAGIC=/opt/libmagic/magic.mgc \
    PROCEDURA_PG_BIN=/opt/pgclient/bin \
    PROCEDURA_GATEWAY_ADDRESS=0.0.0.0:8080
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# procedura-service (nameko's runner) handles SIGTERM itself (in-flight workers finish),
# so it can be PID 1.
CMD ["procedura-service", "--config", "/app/config/procedura.yaml", "services.gateway.service:GatewayService"]
