"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, ErrorMessage, Field, Input, Select, Textarea } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import type { Options } from "../_components/types";

type ChannelType = Options["channelTypes"][number];

export function TemplateEditor({ eventTypes, channelTypes, variables }: { eventTypes: string[]; channelTypes: ChannelType[]; variables: string[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [eventType, setEventType] = useState("deployment.failed");
  const [channelType, setChannelType] = useState<ChannelType>("slack");
  // Unsaved edits per (event, channel) pair; untouched pairs show the saved template or the built-in default.
  const [drafts, setDrafts] = useState<Record<string, { title: string; body: string }>>({});
  const saved = useQuery(trpc.notifications.listTemplates.queryOptions());
  const defaults = useQuery(trpc.notifications.previewTemplate.queryOptions({ eventType, channelType }));
  const current = saved.data?.find((t) => t.eventType === eventType && t.channelType === channelType);

  const key = `${eventType}|${channelType}`;
  const value = drafts[key] ?? (current ? { title: current.title, body: current.body } : (defaults.data?.source ?? { title: "", body: "" }));
  const { title, body } = value;
  const setTitle = (t: string) => setDrafts((d) => ({ ...d, [key]: { ...value, title: t } }));
  const setBody = (b: string) => setDrafts((d) => ({ ...d, [key]: { ...value, body: b } }));

  const deferred = { title: useDeferredValue(title), body: useDeferredValue(body) };
  const preview = useQuery({
    ...trpc.notifications.previewTemplate.queryOptions({ eventType, channelType, ...deferred }),
    enabled: deferred.body.trim().length > 0,
    placeholderData: (prev) => prev,
  });
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.notifications.listTemplates.queryKey() });
  const save = useMutation(trpc.notifications.saveTemplate.mutationOptions({ onSuccess: refresh }));
  const reset = useMutation(trpc.notifications.deleteTemplate.mutationOptions({ onSuccess: refresh }));
  const toast = useToast();
  const errors = { ...fieldErrors(preview.error), ...fieldErrors(save.error) };

  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <Card title="Edit" actions={current ? <Badge color="blue">customised</Badge> : <Badge>built-in default</Badge>}>
        <form noValidate className="space-y-3" onSubmit={(e) => (e.preventDefault(), save.mutate({ eventType, channelType, title, body }))}>
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Event type" htmlFor="tpl-event">
              <Select id="tpl-event" value={eventType} onChange={(e) => setEventType(e.target.value)}>
                {eventTypes.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </Select>
            </Field>
            <Field label="Channel type" htmlFor="tpl-channel">
              <Select id="tpl-channel" value={channelType} onChange={(e) => setChannelType(e.target.value as ChannelType)}>
                {channelTypes.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </Select>
            </Field>
          </div>
          <Field label="Title" htmlFor="tpl-title" error={errors.title}>
            <Input id="tpl-title" value={title} onChange={(e) => setTitle(e.target.value)} aria-invalid={!!errors.title} />
          </Field>
          <Field label="Body" htmlFor="tpl-body" error={errors.body}>
            <Textarea
              id="tpl-body"
              rows={6}
              className="font-mono text-xs"
              value={body}
              onChange={(e) => setBody(e.target.value)}
              aria-invalid={!!errors.body}
            />
          </Field>
          <p className="text-xs text-gray-500 dark:text-gray-400">
            Variables:{" "}
            {variables.map((v) => (
              <code key={v} className="mr-1">{`{{${v}}}`}</code>
            ))}
          </p>
          <div className="flex gap-2">
            <Button type="submit" disabled={save.isPending}>
              Save template
            </Button>
            {current && (
              <ConfirmButton
                variant="secondary"
                title={`Reset the ${channelType} template for ${eventType} to the built-in default?`}
                confirmLabel="Delete custom template"
                consequence={`The customised title and body are deleted: ${eventType} notifications to ${channelType} channels use Pier's built-in text from now on.`}
                onConfirm={async () => {
                  await reset.mutateAsync({ id: current.id });
                  toast({ message: `${eventType} on ${channelType} uses the built-in template again.` });
                }}
              >
                Reset to default
              </ConfirmButton>
            )}
          </div>
          {save.isSuccess && !save.isPending && (
            <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
              Saved.
            </p>
          )}
          {save.error && !Object.keys(fieldErrors(save.error)).length && <ErrorMessage error={save.error} />}
        </form>
      </Card>
      <Card title="Live preview (sample event)">
        {preview.data ? (
          <div className="space-y-3">
            <div className="rounded bg-gray-50 p-3 text-sm dark:bg-gray-950" data-testid="template-preview">
              <p className="font-semibold">{preview.data.title}</p>
              <p className="whitespace-pre-wrap">{preview.data.text}</p>
            </div>
            <details>
              <summary className="cursor-pointer text-xs text-gray-500 dark:text-gray-400">Payload {channelType} would receive</summary>
              <pre className="mt-1 max-h-96 overflow-auto rounded bg-gray-900 p-2 text-xs text-gray-100">{JSON.stringify(preview.data.payload, null, 2)}</pre>
            </details>
          </div>
        ) : (
          <p className="text-sm text-gray-500 dark:text-gray-400">Type a body to see it rendered.</p>
        )}
      </Card>
    </div>
  );
}
