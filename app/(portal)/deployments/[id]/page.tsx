import { serverCaller } from "@/app/_lib/server-caller";
import { RequestView } from "./request-view";

export default async function DeploymentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const caller = await serverCaller();
  const request = await caller.deployments.get({ id });
  // "Promote" offers the next environment this service runs in, if the user may request deployments for it.
  const options = await caller.deployments.formOptions();
  const envs = options.find((s) => s.id === request.serviceId)?.environments ?? [];
  const idx = envs.findIndex((e) => e.id === request.environmentId);
  const next = idx >= 0 ? envs[idx + 1] : undefined;
  return <RequestView id={id} next={next ? { id: next.id, name: next.name } : null} />;
}
