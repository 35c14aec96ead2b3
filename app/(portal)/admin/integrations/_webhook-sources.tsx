// Admin → Integrations, one section per webhook source: the URL to paste, how the sender proves itself, what to
// enable in the tool, the last event received and the accepted/duplicate/refused counts of the last 7 days. Secrets are added
// and rotated in "Webhook signing secrets" below (two of a kind are both accepted while a tool switches over); the
// delivery and feature-flag tools have a "Send a test event" button.
import { DateTime } from "@/app/_components/time";
import { Badge, Card } from "@/app/_components/ui";
import { WEBHOOK_SOURCE_GUIDES } from "./_sources";
import { TestDeliveryButton } from "./_test-delivery-button";

type Activity = { source: string; lastReceivedAt: Date | null; accepted: number; refused: number; duplicates: number };

function When({ at }: { at: Date | null }) {
  if (!at) return <span className="text-gray-500 dark:text-gray-400">nothing yet</span>;
  // In the user's time zone (their preference, else their browser's), like every date in the portal.
  return <DateTime value={at} />;
}

export function WebhookSources({ base, activity, secretKinds }: { base: string; activity: Activity[]; secretKinds: string[] }) {
  return (
    <Card title="Webhook sources">
      <div className="grid gap-4 lg:grid-cols-2">
        {WEBHOOK_SOURCE_GUIDES.map((g) => {
          const a = activity.find((x) => x.source === g.source);
          const secrets = secretKinds.filter((k) => k === g.kind).length;
          return (
            <section key={g.source} aria-labelledby={`source-${g.source}`} className="rounded-md border border-gray-200 p-3 text-sm dark:border-gray-700">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <h3 id={`source-${g.source}`} className="font-medium">
                  {g.label}
                </h3>
                {secrets === 0 ? (
                  <Badge
                    color="yellow"
                    title="Deliveries are refused (401) unless a secret of this kind is added below (GitHub and PagerDuty also take one from the environment)"
                  >
                    no secret
                  </Badge>
                ) : (
                  <Badge color="green">{secrets === 1 ? "1 secret" : `${secrets} secrets`}</Badge>
                )}
              </div>
              <p className="mt-2">
                <code className="text-xs break-all">POST {`${base}${g.path}`}</code>
              </p>
              <p className="mt-1 text-gray-600 dark:text-gray-300">{g.auth}</p>
              <p className="mt-1 text-gray-600 dark:text-gray-300">{g.enable}</p>
              <dl className="mt-2 grid grid-cols-2 gap-2 text-xs sm:grid-cols-4">
                <div>
                  <dt className="text-gray-500 dark:text-gray-400">Last event</dt>
                  <dd>
                    <When at={a?.lastReceivedAt ?? null} />
                  </dd>
                </div>
                <div>
                  <dt className="text-gray-500 dark:text-gray-400">Accepted (7 days)</dt>
                  <dd>{a?.accepted ?? 0}</dd>
                </div>
                <div>
                  <dt className="text-gray-500 dark:text-gray-400" title="Repeat deliveries of an event already stored (answered 200, stored once)">
                    Duplicates (7 days)
                  </dt>
                  <dd>{a?.duplicates ?? 0}</dd>
                </div>
                <div>
                  <dt className="text-gray-500 dark:text-gray-400">Refused (7 days)</dt>
                  <dd>
                    {a?.refused ? (
                      <a className="underline" href="/admin/data-quality">
                        {a.refused}
                      </a>
                    ) : (
                      0
                    )}
                  </dd>
                </div>
              </dl>
              {g.source !== "github" && g.source !== "pagerduty" && <TestDeliveryButton source={g.source} label={g.label} />}
            </section>
          );
        })}
      </div>
    </Card>
  );
}
