# The mqbench CLI as a container image: `docker build -t mqbench:0.1.0 .`, then
# `docker run --rm mqbench:0.1.0 run --target mqtt://BROKER:1883 --out /results` (mount /results),
# or the Kubernetes manifests in deploy/kubernetes/.
#
# The official Node.js image, pinned to a full version (package.json engines: ^20.19.0). For
# reproducible builds pin its digest as well: FROM node:20.20.2-bookworm-slim@sha256:<digest>.

# --- build: every dependency (TypeScript among them), then dist/ ------------------------------
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's prepare script (tsc) needs the sources, copied below; no
# dependency has an install script. This layer stays cached while only the sources change.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# tsconfig.json also includes test/ and bench/; they are not copied (.dockerignore), so only
# dist/src is built.
RUN npx tsc -p tsconfig.json

# --- runtime: production dependencies, the built CLI, the files it reads at run time -----------
FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev prunes TypeScript and the test tools; --ignore-scripts because prepare (tsc) is
# one of them.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# Read at run time: schemas/result.schema.json (mqbench merge, --baseline), scenarios/
# (quickstart.yaml is the default run; the library is there for `run /app/scenarios/...`).
COPY schemas ./schemas
COPY scenarios ./scenarios
# The image's `node` user (uid/gid 1000), given by number so Kubernetes' runAsNonRoot can verify
# it. /app stays root-owned and read-only to it: results go to a mounted --out directory.
USER 1000:1000
ENTRYPOINT ["node", "/app/dist/src/cli/bin.js"]
CMD ["--help"]
