# Optiscape: the API and the page on port 8000.
#   docker build -t optiscape .
#   docker run -p 8000:8000 -v optiscape-jax-cache:/home/optiscape/.cache/optiscape optiscape
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OPTISCAPE_JAX_CACHE=/home/optiscape/.cache/optiscape/jax \
    OPTISCAPE_FRONTEND=/app/frontend

RUN useradd --create-home --uid 10001 optiscape
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY landscapes ./landscapes
COPY frontend ./frontend
RUN pip install --no-cache-dir .

USER 10001
RUN mkdir -p /home/optiscape/.cache/optiscape/jax
VOLUME ["/home/optiscape/.cache/optiscape"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status == 200 else 1)"]
CMD ["optiscape", "serve", "--host", "0.0.0.0", "--port", "8000"]
