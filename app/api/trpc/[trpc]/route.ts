import { createRequestContext } from "@/server/context";
import { withHttpMetrics } from "@/server/platform/metrics";
import { handleTrpcRequest } from "@/server/trpc-http";

const handler = withHttpMetrics("/api/trpc", (req: Request) => handleTrpcRequest(req, createRequestContext));

export { handler as GET, handler as POST };
