// The tRPC endpoint as a plain (Request, createContext) => Response function (app/api/trpc/[trpc]/route.ts wraps it
// with the signed-in context; tests pass their own). A POST body is read as a stream with a byte limit before tRPC
// sees it, so a 30 MB body is cut off at the limit instead of being buffered whole.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { BodyRefusal, readBoundedBody } from "./platform/http-body";
import { appRouter } from "./root";
import type { Context } from "./trpc";

/** The largest input is a catalog import (2 MB of YAML, which JSON escaping can double). */
const MAX_TRPC_BODY_BYTES = 5 * 1024 * 1024;

export async function handleTrpcRequest(req: Request, createContext: () => Promise<Context>): Promise<Response> {
  let request = req;
  if (req.method === "POST" && req.body) {
    try {
      const body = await readBoundedBody(req, MAX_TRPC_BODY_BYTES);
      request = new Request(req.url, { method: "POST", headers: req.headers, body: body as Uint8Array<ArrayBuffer>, signal: req.signal });
    } catch (err) {
      if (!(err instanceof BodyRefusal)) throw err;
      // The shape of a tRPC error, so the client shows the message.
      return Response.json(
        { error: { message: err.message, code: -32600, data: { code: "PAYLOAD_TOO_LARGE", httpStatus: err.status } } },
        { status: err.status, headers: { "cache-control": "no-store" } },
      );
    }
  }
  return fetchRequestHandler({ endpoint: "/api/trpc", req: request, router: appRouter, createContext });
}
