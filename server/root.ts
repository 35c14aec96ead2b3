// appRouter: the merge of every domain's router.
import { identityRouter } from "./identity/router";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  identity: identityRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
