"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { Button, ErrorMessage } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import type { Options } from "../_components/types";
import { EventSpecFields, readSpec } from "./event-spec-fields";

/** Emits a real event through the outbox: it takes exactly the path production events take, and is really sent. */
export function TestEventForm({ options }: { options: Options }) {
  const trpc = useTRPC();
  const emit = useMutation(trpc.notifications.emitTestEvent.mutationOptions());
  const errors = fieldErrors(emit.error);
  return (
    <form noValidate className="space-y-3" onSubmit={(e) => (e.preventDefault(), emit.mutate(readSpec(new FormData(e.currentTarget))))}>
      <EventSpecFields options={options} idPrefix="emit" errors={errors} />
      <Button type="submit" disabled={emit.isPending}>
        Send test event
      </Button>
      {emit.data && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          Event {emit.data.eventId} emitted. Watch the{" "}
          <Link className="underline" href="/admin/notifications/deliveries">
            delivery log
          </Link>
          .
        </p>
      )}
      {emit.error && !Object.keys(errors).length && <ErrorMessage error={emit.error} />}
    </form>
  );
}
