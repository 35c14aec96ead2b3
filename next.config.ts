import type { NextConfig } from "next";
import { STATIC_SECURITY_HEADERS } from "./server/platform/web-security";
import { MAX_IMPORT_REQUEST_BYTES } from "./server/catalog/import-limits";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // A self-contained server (.next/standalone/server.js + the traced node_modules it needs): what the container
  // image runs (Dockerfile). `.next/static` and `public/` are copied next to it, as Next documents.
  output: "standalone",
  typedRoutes: false,
  // `npm test` type-checks the whole project (tsc --noEmit) before building; don't pay for it twice.
  typescript: { ignoreBuildErrors: true },
  // proxy.ts buffers request bodies and passes on only the first 10 MB by default (with a warning): a background
  // catalog import may send up to MAX_IMPORT_REQUEST_BYTES; every route still reads its body with its own limit.
  experimental: { proxyClientMaxBodySize: MAX_IMPORT_REQUEST_BYTES },
  // The request-independent security headers on every response, static files included (proxy.ts adds the CSP).
  async headers() {
    return [{ source: "/:path*", headers: Object.entries(STATIC_SECURITY_HEADERS).map(([key, value]) => ({ key, value })) }];
  },
};

export default nextConfig;
