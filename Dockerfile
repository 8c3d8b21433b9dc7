# syntax=docker/dockerfile:1
# One image for every module: MODULES (default: all four) picks what a container runs.
# Used by docker-compose.yml for the split system (DESIGN.md §7).
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile TypeScript to dist/ with the dev dependencies ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and dist/ only, run as the non-root node user ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --omit=optional too: TypeScript, an optional peer of @nestjs/swagger that the lock file marks
# dev-or-optional, would otherwise come along (24 MB the running image never reads).
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The saver writes here; a bind mount over it must be writable by uid 1000 (node).
RUN mkdir -p /app/data && chown node:node /app/data
ENV OUTPUT_DIR=/app/data LISTEN_HOST=0.0.0.0
# V8 heap cap and young generation of a monolith (README, "Memory"); docker-compose.yml sets a 160 MB
# cap for each split process.
ENV NODE_OPTIONS="--max-old-space-size=512 --max-semi-space-size=32"
USER node
# client (HTTP), server, processor, saver
EXPOSE 5000 5001 5002 5003
CMD ["node", "dist/main.js"]
