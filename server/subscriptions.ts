// Which subscriber takes which Pier events: the one registry the worker (workers/definitions.ts) and the tests
// use. Each row names a subscriber (its name is part of the idempotency key: never rename one) and its types.
// It sits above the domains (like root.ts for the routers): server/bus must not import the domains that use it.
import { subscriber } from "./bus/fanout";
import { PIER_EVENT_TYPES } from "./bus/events";
import { NOTIFICATION_SUBSCRIBER, routeNotifications } from "./notifications/subscriber";
import { PIER_DEPLOYMENT_EVENTS, recordPierDeployments } from "./dora/subscriber";
import { INBOX_EVENTS, INBOX_SUBSCRIBER, recordInboxItems } from "./inbox/inbox-subscriber";
import { DRIFT_SOURCE_EVENTS, DRIFT_SUBSCRIBER, recordLiveFromPierRuns } from "./deployments/drift-sources";
import { advanceReleases, RELEASE_MEMBER_EVENTS, RELEASE_SUBSCRIBER } from "./deployments/releases/subscriber";

export const SUBSCRIBERS = [
  // Every event may match a notification route.
  subscriber(NOTIFICATION_SUBSCRIBER, PIER_EVENT_TYPES, routeNotifications),
  // deployment.succeeded / failed / rolled_back → canonical DORA deployments.
  subscriber("dora.pier-deployments", PIER_DEPLOYMENT_EVENTS, recordPierDeployments),
  // Approvals needed, my requests decided/finished, incidents on my team's services → the in-app inbox (the bell).
  subscriber(INBOX_SUBSCRIBER, INBOX_EVENTS, recordInboxItems),
  // A member's request ended → its release moves on (next member, hold, roll back).
  subscriber(RELEASE_SUBSCRIBER, RELEASE_MEMBER_EVENTS, advanceReleases),
  // A request ended → the live versions of the targets it deployed, and drift re-judged.
  subscriber(DRIFT_SUBSCRIBER, DRIFT_SOURCE_EVENTS, recordLiveFromPierRuns),
] as const;
