import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createRequestContext } from "@/server/context";
import { withHttpMetrics } from "@/server/platform/metrics";
import { appRouter } from "@/server/root";

const handler = withHttpMetrics("/api/trpc", (req: Request) =>
  fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, createContext: createRequestContext }),
);

export { handler as GET, handler as POST };
