# The microlib host as a container image: the same image on every node; which
# models a node serves comes from MICROLIB_PLACEMENT and the application
# definition (remoteEntries.js), which a deployment usually mounts over the one baked in.
#
#   docker build -t microlib .
#   docker run -p 8070:8070 microlib
#
# Node 24 is the active LTS line. Pin the digest in production (node:24-bookworm-slim@sha256:…)
# so a rebuilt image does not change under you.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Compiles the host, builds the example remote and the dashboard, then drops the build tools.
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8070 \
    DATA_DIR=/var/lib/microlib/data \
    REMOTE_CACHE_DIR=/var/lib/microlib/cache
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/public ./public
COPY --from=build /app/remoteEntries.js ./
COPY --from=build /app/examples/order-service/dist ./examples/order-service/dist
COPY --from=build /app/auth ./auth
# Data and downloaded remotes live outside the image (a volume in compose, emptyDir or a PVC in Kubernetes).
RUN mkdir -p /var/lib/microlib/data /var/lib/microlib/cache && chown -R node:node /var/lib/microlib
USER node
EXPOSE 8070
# The host stops gracefully on SIGTERM: readiness false, SHUTDOWN_DELAY_MS, in-flight requests finish.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
