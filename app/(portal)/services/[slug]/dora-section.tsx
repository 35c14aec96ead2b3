// DORA for this service: the four keys (prod, 30 days) and the incident timeline, from the DORA area.
import { ServiceDora } from "@/app/(portal)/dora/_service-dora";
import { LiveVersions } from "@/app/(portal)/dora/_live-versions";

export function DoraSection({ serviceId }: { serviceId: string; serviceName: string }) {
  return (
    <section id="dora" className="space-y-4">
      <LiveVersions serviceId={serviceId} />
      <ServiceDora serviceId={serviceId} />
    </section>
  );
}
