import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { expect, test } from "@playwright/test";
import { signInAs } from "./helpers";

// A local webhook receiver standing in for a real endpoint; Sam allow-lists it through the admin UI.
type Received = { url: string; headers: IncomingHttpHeaders; body: string };
let sink: Server;
let port = 0;
const received: Received[] = [];

test.beforeAll(async () => {
  sink = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", () => r()));
  port = (sink.address() as { port: number }).port;
});

test.afterAll(async () => {
  sink.closeAllConnections();
  await new Promise<void>((r) => sink.close(() => r()));
});

test("Sam creates a webhook channel and a route, tests the route, sends a test event and sees it delivered", async ({ page }) => {
  const stamp = Date.now().toString(36);
  const created = `E2E hook ${stamp}`;
  const channel = `${created} edited`;
  const route = `E2E test events ${stamp}`;
  const firstSigningSecret = `e2e-signing-secret-${stamp}`;
  const signingSecret = `e2e-rotated-secret-${stamp}-v2`;

  await signInAs(page, "Sam", "/admin/notifications/channels");
  await expect(page.getByRole("heading", { name: "Channels", level: 1 })).toBeVisible();

  // A loopback URL is refused until an admin allow-lists it.
  await page.getByLabel("Host or host:port").fill(`127.0.0.1:${port}`);
  await page.getByLabel("Reason").fill("e2e webhook receiver");
  await page.getByRole("button", { name: "Allow host" }).click();
  await expect(page.getByText(`127.0.0.1:${port}`, { exact: true })).toBeVisible();

  await page.getByRole("button", { name: "Add channel" }).click();
  await page.getByLabel("Name", { exact: true }).fill(created);
  await page.getByLabel("Type").selectOption("webhook");
  await page.getByLabel("Webhook URL").fill(`http://127.0.0.1:${port}/hook`);
  await page.getByLabel("Signing secret").fill(firstSigningSecret);
  await page.getByRole("button", { name: "Create channel" }).click();
  const createdRow = page.getByRole("row").filter({ hasText: created });
  await expect(createdRow).toContainText("••••hook");
  await expect(createdRow).toContainText("enabled");
  // The secret never comes back to the browser.
  await expect(page.getByText(firstSigningSecret)).toHaveCount(0);

  // Edit in place (before the worker ever reads the channel, so no cache window is involved): secrets are not
  // prefilled, an unsafe URL is refused next to the field, an empty secret field keeps the stored value.
  await createdRow.getByRole("button", { name: `Edit ${created}` }).click();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(created);
  await expect(page.getByLabel("Signing secret")).toHaveValue("");
  await expect(page.getByLabel("Signing secret")).toHaveAttribute("placeholder", `••••${firstSigningSecret.slice(-4)}`);
  await page.getByLabel("Webhook URL").fill("https://169.254.169.254/latest");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "cloud metadata" })).toBeVisible();
  await page.getByLabel("Webhook URL").fill("");
  await page.getByLabel("Name", { exact: true }).fill(channel);
  await page.getByLabel("Signing secret").fill(signingSecret);
  await page.getByRole("button", { name: "Save changes" }).click();
  const row = page.getByRole("row").filter({ hasText: channel });
  await expect(row).toContainText("••••hook");
  await expect(row).toContainText(`••••${signingSecret.slice(-4)}`);
  await expect(page.getByText(signingSecret)).toHaveCount(0);

  await page.getByRole("link", { name: "Routes", exact: true }).click();
  await page.getByRole("button", { name: "Add route" }).click();
  await page.getByLabel("Route name").fill(route);
  await page.getByLabel("Matcher 1 label").fill("type");
  await page.getByLabel("Matcher 1 value").fill("test.event");
  // continue: routes left by an earlier attempt cannot stop the walk before this one.
  await page.getByLabel("Continue to later routes").check();
  await page.getByLabel(`${channel} (webhook)`).first().check();
  await page.getByRole("button", { name: "Create route" }).click();
  await expect(page.getByRole("list", { name: "Routes in evaluation order" })).toContainText(route);

  // Route test: which routes match and what would be sent, without sending.
  await page.getByRole("link", { name: "Route test", exact: true }).click();
  await page.getByRole("button", { name: "Test routes" }).click();
  const result = page.getByTestId("route-test-result");
  await expect(result.getByRole("listitem").filter({ hasText: route })).toContainText("matched");
  await expect(result.locator("article").filter({ hasText: channel }).first()).toContainText("pending");
  expect(received).toHaveLength(0);

  // A real test event: outbox → routing → delivery worker → the receiver.
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByRole("status").filter({ hasText: "emitted" })).toBeVisible();
  await expect.poll(() => received.filter((r) => r.url === "/hook").length, { timeout: 30_000 }).toBeGreaterThan(0);
  const delivery = received.find((r) => r.url === "/hook")!;
  const expected = createHmac("sha256", signingSecret).update(delivery.body).digest("hex");
  expect(delivery.headers["x-pier-signature"]).toBe(`sha256=${expected}`);
  expect(JSON.parse(delivery.body).event.type).toBe("test.event");

  await page.getByRole("link", { name: "Delivery log", exact: true }).click();
  const logRow = page.getByRole("row").filter({ hasText: channel }).first();
  await expect(logRow).toContainText("delivered");
  await expect(logRow).toContainText("test.event");
  await expect(logRow).toContainText(route);
});
