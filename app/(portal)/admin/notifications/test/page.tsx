import { serverCaller } from "@/app/_lib/server-caller";
import { Card, PageHeader } from "@/app/_components/ui";
import { RouteTester } from "./route-tester";
import { TestEventForm } from "./test-event-form";

export const metadata = { title: "Route test" };

export default async function RouteTestPage() {
  const options = await (await serverCaller()).notifications.options();
  return (
    <div className="space-y-4">
      <PageHeader title="Route test" description="Which routes an event takes, who it reaches and what they would read — nothing is sent." />
      <RouteTester options={options} />
      <Card title="Send a real test event">
        <TestEventForm options={options} />
      </Card>
    </div>
  );
}
