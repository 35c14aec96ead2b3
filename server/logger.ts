// Structured JSON logs (pino) for the web server and the workers.
import pino from "pino";

const globalForLog = globalThis as unknown as { pierLogger?: pino.Logger };

export const logger: pino.Logger =
  globalForLog.pierLogger ??
  (globalForLog.pierLogger = pino({
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
    base: { service: process.env.PIER_PROCESS ?? "pier-web" },
    timestamp: pino.stdTimeFunctions.isoTime,
  }));
