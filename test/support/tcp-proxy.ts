// A TCP proxy between a client and a server (Postgres) that a test switches into failure modes:
//   pass      forward both ways (the default)
//   refuse    close every new connection at once (existing ones keep working)
//   blackhole accept new connections but never answer; existing ones stop forwarding too (a silent server)
//   failover  existing connections go silent for ever (their server is gone), new ones forward (the new primary)
import { createServer, connect, type Server, type Socket } from "node:net";

export type ProxyMode = "pass" | "refuse" | "blackhole" | "failover";

type Pair = { client: Socket; upstream: Socket; dead: boolean };

export class TcpProxy {
  private mode: ProxyMode = "pass";
  private readonly pairs = new Set<Pair>();
  private constructor(
    private readonly server: Server,
    public readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((client) => holder.proxy?.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    holder.proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return holder.proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string) {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  set(mode: ProxyMode) {
    this.mode = mode;
    // Existing connections die silently: nothing more goes through them, and they are never closed.
    if (mode === "failover" || mode === "blackhole") for (const p of this.pairs) p.dead = true;
  }

  /** Connections currently open through the proxy (dead or alive). */
  get open() {
    return this.pairs.size;
  }

  private accept(client: Socket, target: { host: string; port: number }) {
    client.on("error", () => undefined);
    if (this.mode === "refuse") {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: connect(target.port, target.host), dead: this.mode === "blackhole" };
    pair.upstream.on("error", () => undefined);
    this.pairs.add(pair);
    client.on("data", (chunk) => {
      if (!pair.dead) pair.upstream.write(chunk);
    });
    pair.upstream.on("data", (chunk) => {
      if (!pair.dead) client.write(chunk);
    });
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream.destroy();
    };
    client.on("close", close);
    pair.upstream.on("close", () => {
      // A dead pair's server side may go; its client must not hear about it (a vanished server sends nothing).
      if (!pair.dead) close();
    });
  }

  async stop() {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
