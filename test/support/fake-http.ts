// A local HTTP server standing in for a vendor: records every request exactly as received and answers with
// whatever the test scripted (status, headers, body), like the real vendor would.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export type Recorded = { method: string; url: string; headers: IncomingHttpHeaders; body: string };
export type Answer = { status: number; headers?: Record<string, string>; body?: string };

export class FakeVendor {
  readonly requests: Recorded[] = [];
  private answers: Answer[] = [];
  fallback: Answer | ((req: Recorded) => Answer) = { status: 200, body: "ok" };
  private constructor(
    private server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeVendor> {
    const ref: { self?: FakeVendor } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const rec: Recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
        ref.self!.requests.push(rec);
        const a = ref.self!.answers.shift() ?? (typeof ref.self!.fallback === "function" ? ref.self!.fallback(rec) : ref.self!.fallback);
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? "");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    ref.self = new FakeVendor(server, (server.address() as { port: number }).port);
    return ref.self;
  }

  /** Answers for the next requests, in order; after them the fallback answers. */
  answer(...answers: Answer[]) {
    this.answers.push(...answers);
  }

  url(path = "/") {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  get hostPort() {
    return `127.0.0.1:${this.port}`;
  }

  json(i = this.requests.length - 1) {
    return JSON.parse(this.requests[i].body) as Record<string, unknown>;
  }

  reset() {
    this.requests.length = 0;
    this.answers = [];
  }

  close() {
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}
