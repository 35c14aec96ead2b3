"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
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
  const [intoUserId, setInto] = useState(suggestedTargetId ?? "");
  const setDisabled = useMutation(trpc.identity.setDisabled.mutationOptions({ onSuccess: () => router.refresh() }));
  const merge = useMutation(trpc.identity.mergeAccount.mutationOptions({ onSuccess: () => router.refresh() }));
  const error = setDisabled.error ?? merge.error;
  if (isSelf) return <span className="text-xs text-gray-500">you</span>;
  return (
    <div className="flex flex-col gap-2">
      <div>
        <Button
          variant={disabled ? "secondary" : "ghost"}
          disabled={setDisabled.isPending}
          onClick={() => setDisabled.mutate({ userId, disabled: !disabled })}
          aria-label={`${disabled ? "Enable" : "Disable"} ${name}`}
        >
          {disabled ? "Enable" : "Disable"}
        </Button>
      </div>
      {mergeable && !disabled && (
        <form
          className="flex items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (intoUserId && window.confirm(`Merge ${name} into the chosen user? Its sign-ins will sign in as that user, and this account is disabled.`))
              merge.mutate({ fromUserId: userId, intoUserId });
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
      {error && (
        <span role="alert" className="text-xs text-rose-600 dark:text-rose-400">
          {error.message}
        </span>
      )}
    </div>
  );
}
