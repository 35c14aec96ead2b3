// Router output types for the notification admin UI, inferred so the UI follows the server.
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/root";

type Out = inferRouterOutputs<AppRouter>["notifications"];
export type ChannelView = Out["listChannels"][number];
export type RouteView = Out["listRoutes"][number];
export type Options = Out["options"];
export type RouteTestResult = Out["routeTest"];
