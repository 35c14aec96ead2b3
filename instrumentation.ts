// Runs once when the server starts: validate configuration so a bad value fails fast with a clear message.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { env } = await import("./server/env");
    env();
  }
}
