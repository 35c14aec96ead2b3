"use client";
// The new-release form: environment, name, failure policy, and two or more services with their versions. Pier
// orders them by the catalog's dependency graph; its errors (a cycle, a version, a frozen environment) show next to
// the field they name.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button, Card, ErrorMessage, Field, Input, Select } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

type Props = {
  environments: { id: string; name: string; isProduction: boolean }[];
  services: { id: string; slug: string; name: string; versions: Record<string, string | null> }[];
};

export function NewReleaseForm({ environments, services }: Props) {
  const trpc = useTRPC();
  const router = useRouter();
  const [environmentId, setEnvironmentId] = useState(environments[0]?.id ?? "");
  const [name, setName] = useState("");
  const [onFailure, setOnFailure] = useState<"rollback" | "hold">("rollback");
  const [members, setMembers] = useState([
    { serviceId: "", version: "" },
    { serviceId: "", version: "" },
  ]);
  const create = useMutation(trpc.releases.create.mutationOptions({ onSuccess: ({ id }) => router.push(`/releases/${id}`) }));
  const errors = fieldErrors(create.error);
  const set = (i: number, patch: Partial<(typeof members)[number]>) => setMembers((ms) => ms.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  const available = services.filter((s) => environmentId in s.versions);
  return (
    <Card title="New release">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name, environmentId, onFailure, members: members.filter((m) => m.serviceId) });
        }}
      >
        <div className="grid gap-3 sm:grid-cols-3">
          <Field label="Name" htmlFor="release-name" error={errors.name}>
            <Input id="release-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} placeholder="Spring launch" />
          </Field>
          <Field label="Environment" htmlFor="release-env" error={errors.environmentId}>
            <Select id="release-env" value={environmentId} onChange={(e) => setEnvironmentId(e.target.value)}>
              {environments.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.name}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="If a service fails" htmlFor="release-failure">
            <Select id="release-failure" value={onFailure} onChange={(e) => setOnFailure(e.target.value as "rollback" | "hold")}>
              <option value="rollback">roll back the ones that went out</option>
              <option value="hold">hold, and let a person decide</option>
            </Select>
          </Field>
        </div>
        <Field label="Services (Pier orders them: providers first)" error={errors.members}>
          <ul className="space-y-2">
            {members.map((m, i) => (
              <li key={i} className="grid gap-2 sm:grid-cols-2">
                <Field label={`Service ${i + 1}`} htmlFor={`member-${i}`} error={errors[`members.${i}.serviceId`]}>
                  <Select id={`member-${i}`} value={m.serviceId} onChange={(e) => set(i, { serviceId: e.target.value })}>
                    <option value="">—</option>
                    {available.map((s) => (
                      <option key={s.id} value={s.id}>
                        {s.name} (now {s.versions[environmentId] ?? "none"})
                      </option>
                    ))}
                  </Select>
                </Field>
                <Field label="Version" htmlFor={`member-${i}-version`} error={errors[`members.${i}.version`]}>
                  <Input id={`member-${i}-version`} value={m.version} onChange={(e) => set(i, { version: e.target.value })} placeholder="1.4.2" />
                </Field>
              </li>
            ))}
          </ul>
        </Field>
        <div className="flex gap-2">
          <Button type="button" variant="secondary" onClick={() => setMembers((ms) => [...ms, { serviceId: "", version: "" }])}>
            Add a service
          </Button>
          <Button type="submit" disabled={create.isPending}>
            Create release
          </Button>
        </div>
        <ErrorMessage error={create.error} />
      </form>
    </Card>
  );
}
