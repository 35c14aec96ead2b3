import { redirect } from "next/navigation";
import { PageHeader } from "@/app/_components/ui";
import { currentUser } from "@/app/_lib/server-caller";
import { TimeZoneForm } from "./time-zone-form";

export const metadata = { title: "Time zone" };

export default async function TimeZonePage() {
  const user = await currentUser();
  if (!user) redirect("/signin");
  return (
    <div className="max-w-2xl space-y-4">
      <PageHeader title="Time zone" description="The zone Pier shows dates and times in, for you. Freeze windows and quiet hours keep their own zones." />
      <TimeZoneForm saved={user.timeZone ?? null} />
    </div>
  );
}
