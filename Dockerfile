# syntax=docker/dockerfile:1
# One image, three ECS services: web (uvicorn), worker (celery) and the ops scheduler.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip
COPY pyproject.toml constraints.txt ./
COPY frgm_site frgm_site
COPY feeds feeds
COPY ladder ladder
COPY ops ops
COPY accounts accounts
COPY devstack devstack
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FRGM_ENV=prod
RUN useradd --create-home --uid 10001 frgm
WORKDIR /app
COPY --from=build /wheels /wheels
COPY constraints.txt ./
RUN pip install --no-cache-dir --no-index --find-links /wheels -c constraints.txt frgm-live \
    && rm -rf /wheels
COPY manage.py Procfile ./
COPY frgm_site frgm_site
COPY feeds feeds
COPY ladder ladder
COPY ops ops
COPY accounts accounts
# collectstatic needs settings but no secrets: give it throwaway values.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-0000000000000000000000000000000 \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:///tmp/build.sqlite3 \
    FRGM_STATE_REDIS_URL=redis://build:6379 FRGM_MESSAGING_REDIS_URL=redis://build:6379 \
    FRGM_TRUSTED_PROXIES=192.0.2.0/24 \
    python manage.py collectstatic --noinput -v 0
USER frgm
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
# The worker service overrides this with: celery -A frgm_site worker --loglevel INFO
#   and checks its health with   python manage.py worker_health   (its consumer's loops turn)
# The scheduler service (one task, its own: it watches the worker) overrides it with
#   python manage.py ops_scheduler   and checks its health with   python manage.py ops_scheduler --check
# X-Forwarded-For is believed only from FRGM_TRUSTED_PROXIES (the ALB's subnets,
# required in prod): REMOTE_ADDR is then the client the ALB saw, never an address
# a client wrote. sh expands the variable, then becomes uvicorn (exec: signals reach it).
CMD ["sh", "-c", "exec uvicorn \"$@\" --forwarded-allow-ips \"$FRGM_TRUSTED_PROXIES\"", "uvicorn", \
     "frgm_site.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--ws", "websockets-sansio", "--ws-per-message-deflate", "false", \
     "--timeout-graceful-shutdown", "10", "--proxy-headers"]
