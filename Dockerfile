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
EXPOSE 8080 4317 4318 8090 5173
# start.ts starts the server with its Node flags and environment (collector/src/node-flags.ts).
CMD ["node", "collector/src/start.ts"]
