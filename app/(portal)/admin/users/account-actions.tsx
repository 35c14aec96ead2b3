"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmButton, ConfirmDialog } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Button, Select } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

type Target = { id: string; name: string; email: string };

/**
 * Disable/enable an account, and merge an account created by a GitHub/OIDC sign-in into the user it belongs to
 * (preselecting the user whose e-mail the sign-in claimed). Both are audited and end the account's sessions.
 */
export function AccountActions({
  userId,
  name,
  disabled,
  isSelf,
  mergeable,
  suggestedTargetId,
  targets,
}: {
  userId: string;
  name: string;
  disabled: boolean;
  isSelf: boolean;
  mergeable: boolean;
  suggestedTargetId: string | null;
  targets: Target[];
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const [intoUserId, setInto] = useState(suggestedTargetId ?? "");
  const [confirmMerge, setConfirmMerge] = useState(false);
  const setDisabled = useMutation(trpc.identity.setDisabled.mutationOptions({ onSuccess: () => router.refresh() }));
  const merge = useMutation(trpc.identity.mergeAccount.mutationOptions({ onSuccess: () => router.refresh() }));
  const into = targets.find((t) => t.id === intoUserId);
  if (isSelf) return <span className="text-xs text-gray-500 dark:text-gray-400">you</span>;
  return (
    <div className="flex flex-col gap-2">
      <div>
        <ConfirmButton
          variant={disabled ? "secondary" : "ghost"}
          disabled={setDisabled.isPending}
          aria-label={`${disabled ? "Enable" : "Disable"} ${name}`}
          title={disabled ? `Enable ${name}'s account?` : `Disable ${name}'s account?`}
          confirmLabel={disabled ? `Enable ${name}` : `Disable ${name}`}
          tone={disabled ? "primary" : "danger"}
          consequence={
            disabled
              ? `${name} will be able to sign in again, with the role and teams they had.`
              : `${name} is signed out everywhere at once and cannot sign in until an admin enables the account again. Their history stays.`
          }
          onConfirm={async () => {
            await setDisabled.mutateAsync({ userId, disabled: !disabled });
            toast({ message: disabled ? `${name} can sign in again.` : `${name}'s account is disabled and their sessions ended.` });
          }}
        >
          {disabled ? "Enable" : "Disable"}
        </ConfirmButton>
      </div>
      {mergeable && !disabled && (
        <form
          className="flex items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (intoUserId) setConfirmMerge(true);
          }}
        >
          <Select aria-label={`Merge ${name} into`} value={intoUserId} onChange={(e) => setInto(e.target.value)} className="w-48">
            <option value="">Merge into…</option>
            {targets
              .filter((t) => t.id !== userId)
              .map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} ({t.email})
                </option>
              ))}
          </Select>
          <Button type="submit" variant="secondary" disabled={!intoUserId || merge.isPending}>
            Merge
          </Button>
        </form>
      )}
      <ConfirmDialog
        open={confirmMerge}
        title={`Merge ${name} into ${into?.name ?? "the chosen user"}?`}
        confirmLabel="Merge accounts"
        onConfirm={async () => {
          await merge.mutateAsync({ fromUserId: userId, intoUserId });
          toast({ message: `${name} was merged into ${into?.name ?? "the chosen user"}.` });
        }}
        onClose={() => setConfirmMerge(false)}
      >
        <p>Its sign-ins (GitHub, single sign-on) will sign in as {into ? `${into.name} (${into.email})` : "that user"}, with their role and teams.</p>
        <p>{name}&apos;s account is disabled and its sessions end; its history stays under its own name. This cannot be undone here.</p>
      </ConfirmDialog>
    </div>
  );
}
