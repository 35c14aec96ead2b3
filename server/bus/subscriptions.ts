// Registers every domain's outbox-event subscriber (imported once by the worker process).
// Each domain adds one import line here, e.g. `import "../dora/subscriber";`.
import "../notifications/subscriber";
import "../dora/subscriber";
export {};
