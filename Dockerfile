# syntax=docker/dockerfile:1
# Pier's one image: the Next.js web server (default command) or the worker process / migration runner.
#
#   deps     npm ci (its postinstall runs `prisma generate`: generated/prisma + generated/kysely)
#   build    next build (output: "standalone") + esbuild bundles of the workers and the migration runner
#   runtime  slim Node 20, non-root, holding only: the standalone server, .next/static, public/, prisma/migrations,
#            dist/workers.cjs, dist/migrate.cjs. No npm, no tsx, no TypeScript, no dev dependencies.
#
#   docker build -t pier .
#   docker run pier                            # web on :3000 (node server.js)
#   docker run pier node dist/workers.cjs      # workers (set PIER_WORKER_HEALTH_PORT for their liveness)
#   docker run pier node dist/migrate.cjs      # apply pending migrations, then exit
#
# The workers are TypeScript run by tsx in development; the image runs them as one esbuild bundle instead
# (scripts/build-workers.mjs): nothing is compiled at start-up and the image needs no node_modules beyond the
# standalone server's own traced set.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
# `prisma generate` (postinstall) reads the schema and prisma.config.ts.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma/schema.prisma ./prisma/schema.prisma
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
RUN node_modules/.bin/next build && node scripts/build-workers.mjs

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0
# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it (deploy/base sets the same ids).
RUN groupadd --system --gid 10001 pier \
 && useradd --system --uid 10001 --gid pier --no-create-home --shell /usr/sbin/nologin pier
# Code stays owned by root (the process cannot modify it); only Next's cache directory is writable
# (Kubernetes mounts an emptyDir there and on /tmp, with a read-only root filesystem).
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/public ./public
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY --from=build /app/dist ./dist
RUN mkdir -p .next/cache && chown pier:pier .next/cache
USER 10001:10001
EXPOSE 3000
# Readiness of the web server (Postgres + Redis answer). Worker containers override it (docker-compose.yml).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "server.js"]
