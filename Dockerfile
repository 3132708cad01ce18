# sift: API and UI in one image (the compose file runs it twice).
# Build:  docker build -t sift .      Run: docker compose up   (see docs/reliability.md)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder: a venv with the pinned dependencies and CPU-only torch ----
FROM ${PYTHON_IMAGE} AS builder
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements/runtime.txt /tmp/runtime.txt
# torch first and pinned, from the CPU index: an unpinned torch resolves to a CUDA build
# of several GB. Only the runtime lock file: no test, lint or Ray packages in the image.
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==2.13.0+cpu" \
 && pip install -r /tmp/runtime.txt

# ---- runtime: no compilers, non-root, the source tree at /app ----
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 sift \
 && useradd --system --uid 10001 --gid sift --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin sift \
 && mkdir -p /app/data /cache/hf /tmp/mpl && chown -R sift:sift /app /cache /tmp/mpl
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    HF_HOME=/cache/hf HF_CACHE_DIR=/cache/hf ENCODER_CACHE_DIR=/cache/encoders \
    MPLCONFIGDIR=/tmp/mpl \
    MODELS_ROOT=/app/models DATABASE_URL=sqlite:////app/data/feedback.db \
    LOG_FORMAT=json
WORKDIR /app
COPY --chown=sift:sift backend ./backend
COPY --chown=sift:sift training ./training
COPY --chown=sift:sift frontend ./frontend
COPY --chown=sift:sift .streamlit ./.streamlit
COPY --chown=sift:sift configs ./configs
COPY --chown=sift:sift pyproject.toml ./
# The default models seed the volume the first time it is mounted.
COPY --chown=sift:sift models ./models
# Model registry (versions published at run time), downloads cache, feedback database.
VOLUME ["/app/models", "/cache", "/app/data"]
USER sift:sift
EXPOSE 8000 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
# Same server as `make api`; keep-alive above typical load-balancer idle timeouts, and the
# service's own JSON access log instead of uvicorn's. 0.0.0.0 here because the container
# network is explicit; X-Forwarded-For is trusted only from FORWARDED_ALLOW_IPS (in the app).
CMD ["python", "-m", "uvicorn", "backend.api.main:create_app", "--factory", \
     "--host", "0.0.0.0", "--port", "8000", "--timeout-keep-alive", "75", "--no-access-log", \
     "--no-proxy-headers"]
