"use client";
// "Projects → services": which catalog service a delivery tool's project feeds (server/catalog/tool-mappings.ts).
// Without a mapping a delivery matches a service by name; with one, e.g. GitLab's "acme/web" lands on the service an
// admin chose. Errors from the server appear next to their field.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Button, Card, EmptyState, ErrorMessage, Field, Input, Select, Table, Td } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { WEBHOOK_SOURCE_GUIDES } from "./_sources";
import { ServiceDatalist } from "@/app/_components/service-datalist";

type Mapping = { source: string; name: string; slug: string; serviceName: string; teamName: string };
type Source = "gitlab" | "argocd" | "terraform" | "jenkins" | "jira" | "unleash" | "launchdarkly" | "flagsmith";

const TOOLS = WEBHOOK_SOURCE_GUIDES.filter((g) => g.source !== "github" && g.source !== "pagerduty");
const labelOf = (source: string) => TOOLS.find((t) => t.source === source)?.label ?? source;

export function ToolMappings({ mappings }: { mappings: Mapping[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [form, setForm] = useState<{ source: Source; name: string; slug: string }>({ source: "gitlab", name: "", slug: "" });
  const picker = useQuery(trpc.catalog.picker.queryOptions({ q: form.slug }, { enabled: form.slug.length > 0 }));
  const map = useMutation(
    trpc.catalog.mapToolProject.mutationOptions({
      onSuccess: () => {
        setForm({ ...form, name: "", slug: "" });
        router.refresh();
      },
    }),
  );
  const errors = fieldErrors(map.error);
  return (
    <Card title="Projects → services">
      <p className="mb-3 text-sm text-gray-600 dark:text-gray-300">
        A delivery names its project (GitLab path, Argo CD application, Terraform workspace, Jenkins job, Jira or flag project). Map it to the service it
        belongs to when the names differ; unmapped projects match a service by name.
      </p>
      <form
        className="grid gap-3 sm:grid-cols-4 sm:items-end"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          map.mutate(form);
        }}
      >
        <Field label="Tool" htmlFor="map-source" error={errors.source}>
          <Select id="map-source" value={form.source} onChange={(e) => setForm({ ...form, source: e.target.value as Source })}>
            {TOOLS.map((t) => (
              <option key={t.source} value={t.source}>
                {t.label}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Project in the tool" htmlFor="map-name" error={errors.name} hint="e.g. group/project for GitLab">
          <Input id="map-name" value={form.name} autoComplete="off" aria-invalid={!!errors.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </Field>
        <div>
          <Field label="Service (slug)" htmlFor="map-slug" error={errors.slug}>
            <Input
              id="map-slug"
              list="map-service-slugs"
              value={form.slug}
              autoComplete="off"
              aria-invalid={!!errors.slug}
              onChange={(e) => setForm({ ...form, slug: e.target.value })}
            />
          </Field>
          <ServiceDatalist id="map-service-slugs" services={picker.data} />
        </div>
        <Button type="submit" disabled={map.isPending}>
          Map project
        </Button>
        {map.error && !Object.keys(errors).length && (
          <div className="sm:col-span-4">
            <ErrorMessage error={map.error} />
          </div>
        )}
      </form>
      <div className="mt-4">
        {mappings.length === 0 ? (
          <EmptyState title="No mappings">Every delivery matches a service by its project&apos;s name.</EmptyState>
        ) : (
          <Table head={["Tool", "Project", "Service", "Team", ""]} caption="Project to service mappings">
            {mappings.map((m) => (
              <tr key={`${m.source}:${m.name}`}>
                <Td>{labelOf(m.source)}</Td>
                <Td className="font-mono text-xs">{m.name}</Td>
                <Td>
                  <a className="underline" href={`/services/${m.slug}`}>
                    {m.serviceName}
                  </a>
                </Td>
                <Td>{m.teamName}</Td>
                <Td>
                  <UnmapButton mapping={m} />
                </Td>
              </tr>
            ))}
          </Table>
        )}
      </div>
    </Card>
  );
}

function UnmapButton({ mapping: m }: { mapping: Mapping }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const unmap = useMutation(trpc.catalog.unmapToolProject.mutationOptions({ onSuccess: () => router.refresh() }));
  const tool = labelOf(m.source);
  return (
    <ConfirmButton
      variant="danger"
      aria-label={`Remove the mapping of ${tool} ${m.name}`}
      title={`Remove the mapping of ${tool} “${m.name}” to ${m.serviceName}?`}
      confirmLabel="Remove mapping"
      consequence={`From now on ${tool} deliveries of ${m.name} match a service by name; if none has that name they are listed on the data-quality page. Deliveries already filed stay on ${m.serviceName}.`}
      onConfirm={async () => {
        await unmap.mutateAsync({ source: m.source as Source, slug: m.slug });
        toast({ message: `${tool} “${m.name}” is no longer mapped.` });
      }}
    >
      Remove
    </ConfirmButton>
  );
}
