"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Select } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

type Role = "developer" | "approver" | "admin";

export function RoleSelect({ userId, name, role, disabled }: { userId: string; name: string; role: Role; disabled: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const setRole = useMutation(trpc.identity.setRole.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="flex items-center gap-2">
      <Select
        aria-label={`Role of ${name}`}
        defaultValue={role}
        disabled={disabled || setRole.isPending}
        title={disabled ? "You cannot change your own role" : undefined}
        onChange={(e) => setRole.mutate({ userId, role: e.target.value as Role })}
        className="w-36"
      >
        <option value="developer">developer</option>
        <option value="approver">approver</option>
        <option value="admin">admin</option>
      </Select>
      {setRole.isError && (
        <span role="alert" className="text-xs text-rose-600">
          {setRole.error.message}
        </span>
      )}
      {setRole.isSuccess && <span className="text-xs text-emerald-600">saved</span>}
    </div>
  );
}
