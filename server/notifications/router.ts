// Notifications API: one `notifications` namespace made of the routers per concern (routers/*.ts). Inputs are
// validated there; the rules live in the domain modules they call.
import { router } from "../trpc";
import { channelProcedures } from "./routers/channels";
import { deliveryProcedures } from "./routers/deliveries";
import { preferenceProcedures } from "./routers/preferences";
import { routeProcedures } from "./routers/routes";
import { silenceProcedures } from "./routers/silences";
import { templateProcedures } from "./routers/templates";
import { testingProcedures } from "./routers/testing";

export const notificationsRouter = router({
  ...channelProcedures,
  ...routeProcedures,
  ...silenceProcedures,
  ...templateProcedures,
  ...testingProcedures,
  ...deliveryProcedures,
  ...preferenceProcedures,
});
