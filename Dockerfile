# agentcron's image: every process of the distributed shape (agentcron scheduler, agentcron
# worker) and the embedded one (agentcron serve), installed with uv from the committed uv.lock.
#   docker build -t agentcron .
#   docker run --rm agentcron doctor
# docs/deployment.md runs it with docker-compose.yml.

FROM python:3.11-slim AS build
# The uv the Makefile pins (UV_VERSION), so that the image resolves nothing the lock does not say.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/opt/agentcron
WORKDIR /src
# Dependencies first, in a layer of their own: a change to agentcron's code reuses it.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY README.md ./
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
# A user of its own, without a login shell: nothing in the image runs as root.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/agentcron --create-home \
        --shell /usr/sbin/nologin agentcron
COPY --from=build /opt/agentcron /opt/agentcron
ENV PATH=/opt/agentcron/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    AGENTCRON_HOME=/var/lib/agentcron
USER agentcron
WORKDIR /var/lib/agentcron
ENTRYPOINT ["agentcron"]
CMD ["serve"]
