// Calls a tRPC procedure through the real HTTP handler (server/trpc-http.ts: body limit, superjson, error
// formatter, status codes) with a given user, as the browser's client would (tests only).
import superjson from "superjson";
import { getDb, type Db } from "../../server/db";
import type { SessionUser } from "../../server/identity/roles";
import { handleTrpcRequest } from "../../server/trpc-http";

type TrpcHttpResult = {
  status: number;
  /** The raw response text (what a client could read). */
  text: string;
  error?: { message: string; code: number; data?: { code?: string; httpStatus?: number; fieldErrors?: Record<string, string[]> | null; stack?: string } };
  data?: unknown;
};

export async function trpcHttp(
  user: SessionUser | null,
  path: string,
  type: "query" | "mutation",
  input: unknown,
  opts: { db?: Db; rawBody?: string } = {},
): Promise<TrpcHttpResult> {
  const url = new URL(`http://pier.test/api/trpc/${path}`);
  let req: Request;
  if (type === "query") {
    if (input !== undefined || opts.rawBody !== undefined) url.searchParams.set("input", opts.rawBody ?? JSON.stringify(superjson.serialize(input)));
    req = new Request(url, { method: "GET" });
  } else {
    const body = opts.rawBody ?? JSON.stringify(superjson.serialize(input));
    req = new Request(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  }
  const res = await handleTrpcRequest(req, async () => ({ db: opts.db ?? getDb(), user }));
  const text = await res.text();
  let parsed: { error?: { json?: TrpcHttpResult["error"] } & TrpcHttpResult["error"]; result?: { data?: { json?: unknown } } } | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, text, error: parsed?.error?.json ?? parsed?.error, data: parsed?.result?.data?.json };
}
