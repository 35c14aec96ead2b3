// Names this process in every log line ("service":"pier-worker"). Its own module, imported first by
// workers/index.ts: imports run before the importing module's body, so a statement there would run after
// server/logger.ts had already read the name.
process.env.PIER_PROCESS ??= "pier-worker";
