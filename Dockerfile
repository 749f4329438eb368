# syntax=docker/dockerfile:1
# Production image: `docker compose up` (compose.yaml) runs it as serve, worker and a one-shot migrate.
ARG NODE_VERSION=24

# ---- deps: production node_modules; build tools only in case a native module has no prebuild ----
FROM node:${NODE_VERSION}-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY .ci/native-check.mjs ./.ci/native-check.mjs
RUN npm ci --omit=dev --no-audit --no-fund \
  && node .ci/native-check.mjs \
  && npm cache clean --force

# ---- runtime: no compiler, no npm cache, code owned by root and only readable by the app user ----
FROM node:${NODE_VERSION}-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
RUN groupadd --system postkorb \
  && useradd --system --gid postkorb --home-dir /app --no-create-home --shell /usr/sbin/nologin postkorb \
  && mkdir -p /app/data \
  && chown postkorb:postkorb /app/data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY workers ./workers
COPY templates ./templates
COPY migrations ./migrations
USER postkorb
EXPOSE 3000
# node:slim has no curl; Node's own fetch asks the liveness endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# The flag: see src/node-flags.ts (compose.yaml sets each role's own).
CMD ["node", "--max-semi-space-size=1", "src/cli.ts", "serve"]
