import type { NextConfig } from "next";
import { STATIC_SECURITY_HEADERS } from "./server/platform/web-security";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // A self-contained server (.next/standalone/server.js + the traced node_modules it needs): what the container
  // image runs (Dockerfile). `.next/static` and `public/` are copied next to it, as Next documents.
  output: "standalone",
  typedRoutes: false,
  // `npm test` type-checks the whole project (tsc --noEmit) before building; don't pay for it twice.
  typescript: { ignoreBuildErrors: true },
  // The request-independent security headers on every response, static files included (proxy.ts adds the CSP).
  async headers() {
    return [{ source: "/:path*", headers: Object.entries(STATIC_SECURITY_HEADERS).map(([key, value]) => ({ key, value })) }];
  },
};

export default nextConfig;
