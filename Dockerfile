# syntax=docker/dockerfile:1
#
# The clustered service: one manager process (PID 2, under tini) and its workers.
#
# Base image: Node.js 24 on Debian 12 slim (why 24 and not 26: docs/kubernetes.md, "Runtime").
# `engines` admits 22.12+, 24 and 26; CI runs the whole suite on 24 and the runtime-dependent
# integration tests on 22 and 26 too, so `--build-arg NODE_IMAGE=node:26-bookworm-slim` (or 22)
# runs a tested line as well. Debian slim (glibc) rather than Alpine (musl): same libc as the CI
# machines and Debian's tini package.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: all dependencies, compile TypeScript to dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle-worker.mjs scripts/bundle-options.mjs ./scripts/
COPY src ./src
# tsc, then the worker's code bundled into one file (dist/worker.js): workers start faster.
RUN npm run build

# ---- deps: production dependencies only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM/SIGINT/SIGHUP (reload) and SIGTTIN/SIGTTOU (scale) to the
# manager and reaps zombies; Node as PID 1 would ignore signals it has no handler for.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    METRICS_PORT=9464 \
    METRICS_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Code stays root-owned and read-only to the service; it runs as the image's unprivileged `node`.
USER node
EXPOSE 8080 9464
# The manager's /healthz is 200 while at least one worker is ready. No curl in the slim image:
# Node's own fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
