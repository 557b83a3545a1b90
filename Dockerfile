# A small production image: wheels built in one stage, installed into a slim runtime as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml ./
COPY api ./api
COPY domain ./domain
COPY schema ./schema
COPY loaders ./loaders
COPY partners ./partners
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
# The workers share their metrics through files there, so that one scrape of /metrics covers them all.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CLUBGRAPH_ENV=production PROMETHEUS_MULTIPROC_DIR=/tmp/clubgraph-metrics
RUN useradd --system --uid 10001 --home-dir /app clubgraph
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
WORKDIR /app
USER clubgraph
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
# DATABASE_URL and CLUBGRAPH_SECRET_KEY come from the deployment; production refuses the default secret.
# The metrics folder is emptied at each start: figures of an earlier run's processes must not count.
CMD ["sh", "-c", "clubgraph migrate && rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec uvicorn api.app:create_app --factory --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-2} --no-access-log --proxy-headers"]
