# One image for every Magpie role; choose the role at run time:
#   docker build -t magpie .
#   docker run -e MAGPIE_ROLE=registry -p 7700:7700 magpie
#   docker run -e MAGPIE_ROLE=bridge -e MAGPIE_REGISTRIES=http://reg-a:7700,http://reg-b:7700 \
#              -e MAGPIE_PUBLIC_URL=wss://edge-fra.example.com/ws -e MAGPIE_REGION=eu-central magpie
#   docker run -e MAGPIE_ROLE=handler -e MAGPIE_STORE=cassandra \
#              -e MAGPIE_CASSANDRA_CONTACT_POINTS=cass-1:9042,cass-2:9042 magpie
# Bridges are stateless and small: run them at edge PoPs next to users; handlers next to Cassandra.
# (Not built in CI here: the development machines have no Docker engine.)

FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, exactly as locked; Bun is the final image's runtime.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM oven/bun:1.4.5-slim
WORKDIR /app
ENV NODE_ENV=production \
    MAGPIE_HOST=0.0.0.0 \
    MAGPIE_ROLE=bridge
COPY --from=deps /app/node_modules ./node_modules
COPY package.json mod.ts deno.json ./
COPY src ./src
COPY routes ./routes
USER bun
EXPOSE 7600 7700 7800 7900
HEALTHCHECK --interval=10s --timeout=3s CMD bun -e "const p={registry:7700,handler:7800,bridge:7900,metric:7600}[process.env.MAGPIE_ROLE];const r=await fetch('http://127.0.0.1:'+(process.env.MAGPIE_PORT||p)+'/healthz');process.exit(r.ok?0:1)"
CMD ["sh", "-c", "exec bun run src/roles/${MAGPIE_ROLE}.ts"]
