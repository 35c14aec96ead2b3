// tRPC on the server: server components call procedures directly, with the same auth checks as over HTTP.
import { cache } from "react";
import { createRequestContext } from "@/server/context";
import { createCaller } from "@/server/root";

/** One context (session + user lookup) per request, shared by every call in the render. */
const requestContext = cache(createRequestContext);

export async function serverCaller() {
  return createCaller(await requestContext());
}

export async function currentUser() {
  return (await requestContext()).user;
}
