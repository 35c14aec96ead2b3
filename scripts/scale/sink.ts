// bench:scale's notification sink, in a process of its own (scripts/bench-scale.ts with SCALE_ROLE=sink) so the
// driver's load does not delay its answers: a webhook receiver that answers 200 at once and reports, in batches over
// IPC, when each request arrived, its Idempotency-Key and the event it was for.
import http from "node:http";

export type Arrival = { at: number; key: string; eventId: string };

export function serveSink() {
  let pending: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      res.writeHead(200).end("ok");
      let eventId = "";
      try {
        eventId = (JSON.parse(Buffer.concat(chunks).toString()) as { event: { id: string } }).event.id;
      } catch {
        // recorded without its event
      }
      pending.push({ at, key: String(req.headers["idempotency-key"] ?? ""), eventId });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as { port: number }).port }));
  setInterval(() => {
    if (pending.length === 0) return;
    process.send!({ arrivals: pending });
    pending = [];
  }, 20);
  process.on("disconnect", () => process.exit(0));
}
