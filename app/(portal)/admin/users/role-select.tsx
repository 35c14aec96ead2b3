"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Select } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

type Role = "developer" | "approver" | "admin";
const ROLES: Role[] = ["developer", "approver", "admin"];
const aRole = (r: Role) => `${/^[aeiou]/.test(r) ? "an" : "a"} ${r}`;

// What each role adds to the one below it, in words, as server/identity/access.ts decides it (the rules live there).
const GRANTS: Record<Role, string[]> = {
  developer: ["request, cancel and roll back deployments of their own teams' services"],
  approver: [
    "approve deployments where a policy asks for approvers",
    "roll back any service",
    "deploy with break-glass, skipping approvals and freezes",
    "read the audit log and export evidence",
  ],
  admin: ["manage users and roles", "change approval policies and freeze windows", "configure notification routing", "manage integrations and their tokens"],
};

/** "Dana will be able to …" or "Dana will no longer be able to …", from the roles between the old and the new one. */
function consequence(name: string, from: Role, to: Role): string {
  const [lo, hi] = [ROLES.indexOf(from), ROLES.indexOf(to)].sort((a, b) => a - b);
  const changed = ROLES.slice(lo + 1, hi + 1).flatMap((r) => GRANTS[r]);
  const list = changed.length > 1 ? `${changed.slice(0, -1).join(", ")} and ${changed.at(-1)}` : changed[0];
  return ROLES.indexOf(to) > ROLES.indexOf(from) ? `${name} will be able to ${list}.` : `${name} will no longer be able to ${list}.`;
}

export function RoleSelect({ userId, name, role, disabled }: { userId: string; name: string; role: Role; disabled: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  // The dropdown shows the saved role until a change is confirmed: cancelling leaves both the role and the dropdown.
  const [asked, setAsked] = useState<Role | null>(null);
  const setRole = useMutation(trpc.identity.setRole.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <>
      <Select
        aria-label={`Role of ${name}`}
        value={role}
        disabled={disabled || setRole.isPending}
        title={disabled ? "You cannot change your own role" : undefined}
        onChange={(e) => setAsked(e.target.value as Role)}
        className="w-36"
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </Select>
      <ConfirmDialog
        open={asked !== null}
        title={`Change ${name}'s role from ${role} to ${asked}?`}
        confirmLabel={asked ? `Make ${name} ${aRole(asked)}` : ""}
        tone={asked && ROLES.indexOf(asked) > ROLES.indexOf(role) ? "danger" : "primary"}
        onConfirm={async () => {
          await setRole.mutateAsync({ userId, role: asked! });
          toast({ message: `${name} is now ${aRole(asked!)}; their sessions were ended.` });
        }}
        onClose={() => setAsked(null)}
      >
        {asked && <p>{consequence(name, role, asked)}</p>}
        <p>Their sessions end at once: they sign in again under the new role. The change is audited.</p>
      </ConfirmDialog>
    </>
  );
}
