"use client";
// Admins edit a team on its page: details (name, description, on-call, chat channel) and members (added by e-mail,
// as member or lead; removed with a click). Every change is audited on the server (server/catalog/team-editing.ts).
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Button, ErrorMessage, Field, Input, Select, Textarea } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

type Team = { slug: string; name: string; description: string; onCallName: string | null; onCallUrl: string | null; chatChannel: string | null };

export function TeamDetailsForm({ team }: { team: Team }) {
  const trpc = useTRPC();
  const router = useRouter();
  const update = useMutation(trpc.catalog.updateTeam.mutationOptions({ onSuccess: () => router.refresh() }));
  const errors = fieldErrors(update.error);
  const text = (f: FormData, k: string) => String(f.get(k) ?? "");
  return (
    <form
      noValidate
      className="grid gap-3 sm:grid-cols-2"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        update.mutate({
          slug: team.slug,
          changes: {
            name: text(f, "name"),
            description: text(f, "description"),
            onCallName: text(f, "onCallName"),
            onCallUrl: text(f, "onCallUrl"),
            chatChannel: text(f, "chatChannel"),
          },
        });
      }}
    >
      <Field label="Name" htmlFor="team-name" error={errors["changes.name"] ?? errors.name}>
        <Input id="team-name" name="name" defaultValue={team.name} />
      </Field>
      <Field label="Chat channel" htmlFor="team-chat" hint="#payments or a channel URL" error={errors["changes.chatChannel"] ?? errors.chatChannel}>
        <Input id="team-chat" name="chatChannel" defaultValue={team.chatChannel ?? ""} />
      </Field>
      <Field label="On-call (name or rotation)" htmlFor="team-oncall-name" error={errors["changes.onCallName"] ?? errors.onCallName}>
        <Input id="team-oncall-name" name="onCallName" defaultValue={team.onCallName ?? ""} />
      </Field>
      <Field label="On-call link" htmlFor="team-oncall-url" error={errors["changes.onCallUrl"] ?? errors.onCallUrl}>
        <Input id="team-oncall-url" name="onCallUrl" type="url" defaultValue={team.onCallUrl ?? ""} />
      </Field>
      <div className="sm:col-span-2">
        <Field label="Description" htmlFor="team-description" error={errors["changes.description"] ?? errors.description}>
          <Textarea id="team-description" name="description" rows={2} defaultValue={team.description} />
        </Field>
      </div>
      <div className="flex items-center gap-2 sm:col-span-2">
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save team"}
        </Button>
        {update.isSuccess && (
          <span role="status" className="text-sm text-green-700 dark:text-green-400">
            Saved
          </span>
        )}
      </div>
      {update.error && !Object.keys(errors).length && <ErrorMessage error={update.error} />}
    </form>
  );
}

export function AddMemberForm({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const add = useMutation(trpc.catalog.setTeamMember.mutationOptions({ onSuccess: () => router.refresh() }));
  const errors = fieldErrors(add.error);
  return (
    <form
      noValidate
      className="mt-3 flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        add.mutate({ slug, email: String(f.get("email") ?? ""), role: f.get("role") === "lead" ? "lead" : "member" });
      }}
    >
      <Field label="Add a member (e-mail)" htmlFor="member-email" error={errors.email}>
        <Input id="member-email" name="email" type="email" placeholder="dana@example.com" />
      </Field>
      <Field label="Role" htmlFor="member-role">
        <Select id="member-role" name="role" defaultValue="member">
          <option value="member">member</option>
          <option value="lead">lead</option>
        </Select>
      </Field>
      <Button type="submit" variant="secondary" disabled={add.isPending}>
        Add
      </Button>
      {add.error && !Object.keys(errors).length && <ErrorMessage error={add.error} />}
    </form>
  );
}

export function RemoveMemberButton({ slug, userId, name }: { slug: string; userId: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const remove = useMutation(trpc.catalog.removeTeamMember.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <Button variant="ghost" aria-label={`Remove ${name}`} disabled={remove.isPending} onClick={() => remove.mutate({ slug, userId })}>
      Remove
    </Button>
  );
}

export function NewTeamForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.catalog.createTeam.mutationOptions({ onSuccess: (t) => router.push(`/teams/${t.slug}`) }));
  const errors = fieldErrors(create.error);
  return (
    <form
      noValidate
      className="grid max-w-xl gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        create.mutate({ slug: String(f.get("slug") ?? ""), name: String(f.get("name") ?? ""), chatChannel: String(f.get("chatChannel") ?? "") });
      }}
    >
      <Field label="Slug" htmlFor="new-team-slug" hint="Lowercase words joined by dashes; the team's address" error={errors.slug}>
        <Input id="new-team-slug" name="slug" placeholder="payments" aria-invalid={!!errors.slug} />
      </Field>
      <Field label="Name" htmlFor="new-team-name" error={errors.name}>
        <Input id="new-team-name" name="name" placeholder="Payments" aria-invalid={!!errors.name} />
      </Field>
      <Field label="Chat channel" htmlFor="new-team-chat" error={errors.chatChannel}>
        <Input id="new-team-chat" name="chatChannel" placeholder="#payments" />
      </Field>
      <div>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create team"}
        </Button>
      </div>
      {create.error && !Object.keys(errors).length && <ErrorMessage error={create.error} />}
    </form>
  );
}
