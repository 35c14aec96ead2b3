// Overview: delivery health at a glance and the test event generator.
import Link from "next/link";
import { plural } from "@/app/_lib/plural";
import { serverCaller } from "@/app/_lib/server-caller";
import { Card, Metric, PageHeader } from "@/app/_components/ui";
import { TestEventForm } from "./test/test-event-form";

export const metadata = { title: "Notifications" };

export default async function NotificationsOverview() {
  const api = (await serverCaller()).notifications;
  const [counts, channels, routes, options] = await Promise.all([api.deliveryCounts(), api.listChannels(), api.listRoutes(), api.options()]);
  const n = (k: string) => counts[k] ?? 0;
  return (
    <div className="space-y-4">
      <PageHeader title="Notifications" description="Who hears about what: channels, ordered routes, silences and the delivery log." />
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Metric label="Delivered" value={n("delivered")} href="/admin/notifications/deliveries?status=delivered" />
        <Metric
          label="Waiting"
          value={n("pending") + n("retrying") + n("held") + n("grouped") + n("scheduled")}
          hint="pending, retrying, held, grouped, scheduled"
        />
        <Metric label="Dead-lettered" value={n("dead")} href="/admin/notifications/deliveries?status=dead" />
        <Metric label="Suppressed" value={n("suppressed")} hint="silences, quiet hours, repeat interval" />
      </div>
      <div className="grid gap-4 md:grid-cols-2">
        <Card title="Configuration">
          <ul className="space-y-1 text-sm">
            <li>
              <Link className="text-brand-700 underline dark:text-brand-300" href="/admin/notifications/channels">
                {plural(channels.length, "channel")}
              </Link>{" "}
              ({channels.filter((c) => !c.enabled).length} disabled)
            </li>
            <li>
              <Link className="text-brand-700 underline dark:text-brand-300" href="/admin/notifications/routes">
                {plural(routes.length, "route")}
              </Link>
              , evaluated in order
            </li>
          </ul>
        </Card>
        <Card title="Send a test event">
          <TestEventForm options={options} />
        </Card>
      </div>
    </div>
  );
}
