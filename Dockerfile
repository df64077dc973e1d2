# One image for the collector, the dashboard and the demo services (docker-compose.yml picks
# the command). Node 24 runs the TypeScript sources directly (type stripping).
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY contract/package.json contract/
COPY devstack/package.json devstack/
COPY collector/package.json collector/
COPY dashboard/package.json dashboard/
COPY demo-services/package.json demo-services/
COPY grafana/package.json grafana/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build -w dashboard
ENV NODE_ENV=production
# collector/src/node-flags.ts COLLECTOR_ENV (a test keeps it in step): few malloc arenas, flat native memory.
ENV MALLOC_ARENA_MAX=2
EXPOSE 8080 4318 8090 5173
# The V8 flags are collector/src/node-flags.ts (a test keeps them in step): they hold the heap near what is live.
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "collector/src/server.ts"]
