import type { Metadata } from "next";
import { serverCaller } from "@/app/_lib/server-caller";
import { findDeployment, orNotFound } from "@/app/_lib/page-records";
import { RequestView } from "./request-view";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const request = await findDeployment((await params).id);
  return { title: request ? `Deploy ${request.service.name} ${request.version} → ${request.environment.name}` : "Not found" };
}

export default async function DeploymentPage({ params }: Props) {
  const { id } = await params;
  const request = orNotFound(await findDeployment(id));
  const caller = await serverCaller();
  // "Promote" offers the next environment this service runs in, if the user may request deployments for it.
  const options = await caller.deployments.formOptions();
  const envs = options.find((s) => s.id === request.serviceId)?.environments ?? [];
  const idx = envs.findIndex((e) => e.id === request.environmentId);
  const next = idx >= 0 ? envs[idx + 1] : undefined;
  return <RequestView id={id} next={next ? { id: next.id, name: next.name } : null} />;
}
