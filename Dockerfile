# syntax=docker/dockerfile:1
# One image, four commands (ECS containers): web, worker, scheduler and migrate:
#   python -m frgm_site.container web|worker|scheduler|migrate
# Production dependencies only, from requirements/prod.lock (hashes checked);
# the local stand-ins (moto, Flask, devstack) are not in it.

# python:3.12-slim-bookworm, pinned by digest: change it deliberately, with the lock.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm@sha256:782412e85d0f0984994c290652577d4018aff08145c85b262bb63dc0c7522254

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements/prod.lock requirements/prod.lock
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r requirements/prod.lock
# The product runs from /app (its source, templates, runbooks), never as a wheel.
COPY manage.py ./
COPY frgm_site frgm_site
COPY feeds feeds
COPY ladder ladder
COPY ops ops
COPY accounts accounts
COPY lib lib
# collectstatic needs settings but no secrets: throwaway values, this stage only.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-0000000000000000000000000000000 \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    FRGM_STATE_REDIS_URL=rediss://build:6379 FRGM_MESSAGING_REDIS_URL=rediss://build:6379 \
    FRGM_TRUSTED_PROXIES=192.0.2.0/24 FRGM_ENV=prod \
    /opt/venv/bin/python manage.py collectstatic --noinput -v 0

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FRGM_ENV=prod FRGM_PROCESS=web \
    PATH=/opt/venv/bin:$PATH PYTHONPATH=/app
RUN useradd --create-home --uid 10001 frgm
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
USER 10001
EXPOSE 8000
# The check fits the process FRGM_PROCESS names: /healthz for web, the loops'
# liveness for the worker (manage.py worker_health: its consumer's loops turn), the
# scheduler's loop and last good run (ops_scheduler --check). Django's start-up makes
# the two commands take 2-4 s: hence the 10 s timeout.
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "frgm_site.container", "health"]
ENTRYPOINT ["python", "-m", "frgm_site.container"]
CMD ["web"]
