"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Badge, Button, Card, ErrorMessage, Textarea, type BadgeColor } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import type { Options, RouteTestResult } from "../_components/types";
import { EventSpecFields, readSpec } from "./event-spec-fields";

const STATUS_COLOR: Record<string, BadgeColor> = { pending: "green", grouped: "purple", held: "yellow", scheduled: "blue", suppressed: "gray" };

export function RouteTester({ options }: { options: Options }) {
  const trpc = useTRPC();
  const test = useMutation(trpc.notifications.routeTest.mutationOptions());
  const [mode, setMode] = useState<"pick" | "paste">("pick");
  const [pasteError, setPasteError] = useState<string | null>(null);
  const errors = fieldErrors(test.error);

  function submit(form: HTMLFormElement) {
    const f = new FormData(form);
    setPasteError(null);
    if (mode === "pick") return test.mutate({ spec: readSpec(f) });
    try {
      test.mutate({ event: JSON.parse(String(f.get("json"))) });
    } catch (e) {
      setPasteError(`Not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  return (
    <>
      <Card title="Event">
        <div className="mb-3 flex gap-2" role="group" aria-label="Event source">
          <Button variant={mode === "pick" ? "primary" : "secondary"} aria-pressed={mode === "pick"} onClick={() => setMode("pick")}>
            Pick an event
          </Button>
          <Button variant={mode === "paste" ? "primary" : "secondary"} aria-pressed={mode === "paste"} onClick={() => setMode("paste")}>
            Paste JSON
          </Button>
        </div>
        <form noValidate className="space-y-3" onSubmit={(e) => (e.preventDefault(), submit(e.currentTarget))}>
          {mode === "pick" ? (
            <EventSpecFields options={options} idPrefix="rt" errors={errors} />
          ) : (
            <div className="space-y-1">
              <label htmlFor="rt-json" className="block text-sm font-medium">
                Event JSON (PierEvent)
              </label>
              <Textarea
                id="rt-json"
                name="json"
                rows={8}
                className="font-mono text-xs"
                defaultValue={JSON.stringify(
                  {
                    type: "deployment.failed",
                    severity: "high",
                    labels: { type: "deployment.failed", service: "checkout-api", environment: "prod", tier: "1", severity: "high" },
                    data: {},
                  },
                  null,
                  2,
                )}
              />
              {pasteError && (
                <p role="alert" className="text-xs text-rose-600 dark:text-rose-400">
                  {pasteError}
                </p>
              )}
            </div>
          )}
          <Button type="submit" disabled={test.isPending}>
            Test routes
          </Button>
          {test.error && <ErrorMessage error={test.error} />}
        </form>
      </Card>
      {test.data && <Result result={test.data} />}
    </>
  );
}

function Result({ result }: { result: RouteTestResult }) {
  return (
    <div className="space-y-4" data-testid="route-test-result">
      <Card title="Routes">
        <ol className="space-y-1 text-sm">
          {result.trace.map((t) => (
            <li key={t.routeId} className="flex flex-wrap items-center gap-2">
              <Badge color={t.matched ? "green" : "gray"}>{t.matched ? "matched" : "no match"}</Badge>
              <span className="font-medium">{t.name}</span>
              <span className="text-gray-500 dark:text-gray-400">{t.note}</span>
            </li>
          ))}
        </ol>
        <p className="mt-2 font-mono text-xs text-gray-500 dark:text-gray-400">
          labels:{" "}
          {Object.entries(result.event.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ")}
        </p>
      </Card>
      <Card title={`Notifications (${result.deliveries.length})`}>
        {result.deliveries.length === 0 && <p className="text-sm text-gray-500 dark:text-gray-400">No route sends this event anywhere.</p>}
        <div className="space-y-4">
          {result.deliveries.map((d) => (
            <article key={`${d.routeId}-${d.channelId}-${d.recipient}`} className="rounded-md border border-gray-200 p-3 dark:border-gray-800">
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <Badge color={STATUS_COLOR[d.status] ?? "gray"}>{d.status}</Badge>
                <span className="font-medium">{d.channelName}</span>
                <Badge>{d.channelType}</Badge>
                <span className="text-gray-500 dark:text-gray-400">via {d.routeName}</span>
                {d.reason && <span className="text-gray-500 dark:text-gray-400">— {d.reason}</span>}
              </div>
              <p className="mt-2 text-sm">
                <span className="text-gray-500 dark:text-gray-400">Recipients: </span>
                {[
                  d.recipients.oncall && `on-call ${d.recipients.oncall.name}`,
                  ...d.recipients.users.map((u) => `${u.name} (${u.roles.join(", ").replaceAll("_", " ")})`),
                ]
                  .filter(Boolean)
                  .join(", ") || "the channel"}
                {d.recipients.muted.length > 0 && <span className="text-gray-500 dark:text-gray-400"> · muted: {d.recipients.muted.join(", ")}</span>}
              </p>
              <div className="mt-2 rounded bg-gray-50 p-2 text-sm dark:bg-gray-950">
                <p className="font-semibold">{d.message.title}</p>
                <p className="whitespace-pre-wrap">{d.message.text}</p>
              </div>
              <details className="mt-2">
                <summary className="cursor-pointer text-xs text-gray-500 dark:text-gray-400">Exact payload</summary>
                <pre className="mt-1 max-h-80 overflow-auto rounded bg-gray-900 p-2 text-xs text-gray-100">{JSON.stringify(d.preview, null, 2)}</pre>
              </details>
            </article>
          ))}
        </div>
      </Card>
    </div>
  );
}
