// DORA for this service: the four keys (prod, 30 days) and the incident timeline, from the DORA area.
import { ServiceDora } from "@/app/(portal)/dora/_service-dora";

export function DoraSection({ serviceId }: { serviceId: string; serviceName: string }) {
  return (
    <section id="dora">
      <ServiceDora serviceId={serviceId} />
    </section>
  );
}
