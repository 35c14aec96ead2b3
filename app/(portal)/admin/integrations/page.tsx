// Admin → Integrations: ingestion tokens (shown once, stored hashed) and inbound webhook signing secrets.
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Badge, Card, EmptyState, PageHeader, Table, Td } from "@/app/_components/ui";
import { env } from "@/server/env";
import { CustomSources } from "./_custom-sources";
import { CreateTokenForm, CreateWebhookSecretForm, DeleteSecretButton, RevokeTokenButton } from "./_forms";
import { WEBHOOK_KIND_LABELS } from "./_sources";
import { ToolMappings } from "./_tool-mappings";
import { WebhookSources } from "./_webhook-sources";

export const dynamic = "force-dynamic";

export const metadata = { title: "Integrations" };

export default async function IntegrationsPage() {
  const trpc = await serverCaller();
  const [tokens, secrets, activity, customSources, mappings] = await Promise.all([
    trpc.events.tokens(),
    trpc.events.webhookSecrets(),
    trpc.events.sourceActivity(),
    trpc.events.customSources(),
    trpc.catalog.toolMappings(),
  ]);
  const base = env().PIER_BASE_URL.replace(/\/$/, "");
  return (
    <div className="space-y-6">
      <PageHeader title="Integrations" description="How CI/CD and incident tools send events to Pier's DORA metrics." />
      <Card title="Endpoints">
        <ul className="space-y-1 text-sm">
          <li>
            <code className="text-xs">POST {base}/api/events/cdevents</code> — CDEvents v0.4/v0.5 (one event or an array), header{" "}
            <code className="text-xs">Authorization: Bearer &lt;token&gt;</code>
          </li>
          <li>
            <code className="text-xs">POST {base}/api/webhooks/github</code> — GitHub webhooks (deployment_status, push, pull_request, workflow_run), signed
            with a GitHub secret below
          </li>
          <li>
            <code className="text-xs">POST {base}/api/webhooks/pagerduty</code> — PagerDuty v3 webhooks (incident.triggered / resolved), signed with a PagerDuty
            secret below
          </li>
          <li>
            API reference:{" "}
            <a className="underline" href="/api/openapi.json">
              /api/openapi.json
            </a>
          </li>
        </ul>
      </Card>
      <WebhookSources base={base} activity={activity} secretKinds={secrets.map((s) => s.kind)} />
      <ToolMappings mappings={mappings} />
      <CustomSources base={base} sources={customSources} />
      <Card title="Integration tokens">
        <CreateTokenForm />
        <div className="mt-4">
          {tokens.length === 0 ? (
            <EmptyState title="No tokens yet">Create one per sending system, so you can revoke it alone.</EmptyState>
          ) : (
            <Table head={["Name", "Token", "Created", "Last used", "Status", ""]} caption="Integration tokens">
              {tokens.map((t) => (
                <tr key={t.id}>
                  <Td>{t.name}</Td>
                  <Td className="font-mono text-xs">{t.prefix}…</Td>
                  <Td>
                    <DateTime value={t.createdAt} />
                  </Td>
                  <Td>
                    <DateTime value={t.lastUsedAt} />
                  </Td>
                  <Td>{t.revokedAt ? <Badge color="red">revoked</Badge> : <Badge color="green">active</Badge>}</Td>
                  <Td>{!t.revokedAt && <RevokeTokenButton id={t.id} name={t.name} />}</Td>
                </tr>
              ))}
            </Table>
          )}
        </div>
      </Card>
      <Card title="Webhook signing secrets">
        <CreateWebhookSecretForm />
        <div className="mt-4">
          {secrets.length === 0 ? (
            <EmptyState title="No webhook secrets">
              A source&apos;s deliveries are refused until a secret of its kind is set. Add a second one to rotate.
            </EmptyState>
          ) : (
            <Table head={["Name", "Kind", "Secret", "Created", ""]} caption="Webhook secrets">
              {secrets.map((s) => (
                <tr key={s.id}>
                  <Td>{s.name}</Td>
                  <Td>{WEBHOOK_KIND_LABELS[s.kind] ?? s.kind}</Td>
                  <Td className="font-mono text-xs">{s.hint}</Td>
                  <Td>
                    <DateTime value={s.createdAt} />
                  </Td>
                  <Td>
                    <DeleteSecretButton id={s.id} name={s.name} kind={WEBHOOK_KIND_LABELS[s.kind] ?? s.kind} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
        </div>
      </Card>
    </div>
  );
}
