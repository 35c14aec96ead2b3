import { PageHeader } from "@/app/_components/ui";
import { SilenceManager } from "./silence-manager";

export const metadata = { title: "Silences" };

export default function SilencesPage() {
  return (
    <div className="space-y-4">
      <PageHeader title="Silences" description="Time-boxed mutes: matching events are recorded as suppressed, with the reason, instead of sent." />
      <SilenceManager />
    </div>
  );
}
