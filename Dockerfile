# kdf-lightning worker image (also runs the codec server: `node dist/codec/server.js`).
# Built by temporal.docker-compose.yml; see deploy/README.md.

FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY workflows workflows
COPY activities activities
COPY worker worker
COPY client client
COPY simulator simulator
COPY codec codec
COPY common common
# dist/ with the compiled code and dist/workflow-bundle.js (prebundled workflows), then the codec server entry
RUN npm run build
RUN npx tsc -p codec
RUN npm prune --omit=dev

FROM node:24.22.3-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
# NODE_ENV=production: the worker loads dist/workflow-bundle.js instead of bundling workflows at start
CMD ["node", "dist/worker/main.js"]
