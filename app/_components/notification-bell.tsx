"use client";
// The header's bell: the signed-in user's unread in-app notifications (server/inbox), polled every 30 s. Opening it
// lists the newest items; following one marks it read; "Mark all read" clears the count.
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../_lib/trpc";
import { formatRelative } from "../_lib/format";
import { plural } from "../_lib/plural";
import { HeaderMenu } from "./header-menu";
import { cx } from "./ui";

const POLL_MS = 30_000;

const KIND_DOT: Record<string, string> = {
  approval_needed: "bg-amber-500",
  request_decided: "bg-sky-500",
  deployment_finished: "bg-emerald-500",
  deployment_failed: "bg-rose-500",
  incident: "bg-rose-600",
};

export function NotificationBell() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery({ ...trpc.inbox.list.queryOptions({ limit: 15 }), refetchInterval: POLL_MS });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.inbox.list.queryKey() });
  const markRead = useMutation(trpc.inbox.markRead.mutationOptions({ onSuccess: refresh }));
  const markAll = useMutation(trpc.inbox.markAllRead.mutationOptions({ onSuccess: refresh }));
  const unread = list.data?.unread ?? 0;
  const items = list.data?.items ?? [];

  return (
    <HeaderMenu
      className="relative"
      testId="notification-bell"
      buttonLabel={unread ? `Notifications: ${plural(unread, "unread item")}` : "Notifications"}
      buttonClassName="relative flex cursor-pointer list-none items-center rounded-md p-2 hover:bg-gray-100 dark:hover:bg-gray-800"
      button={
        <>
          <svg viewBox="0 0 20 20" className="h-5 w-5" fill="currentColor" aria-hidden>
            <path
              fillRule="evenodd"
              d="M10 2a6 6 0 0 0-6 6c0 1.887-.454 3.665-1.257 5.234a.75.75 0 0 0 .515 1.076 32.91 32.91 0 0 0 3.256.508 3.5 3.5 0 0 0 6.972 0 32.903 32.903 0 0 0 3.256-.508.75.75 0 0 0 .515-1.076A11.448 11.448 0 0 1 16 8a6 6 0 0 0-6-6Zm0 14.5a2 2 0 0 1-1.95-1.557 33.54 33.54 0 0 0 3.9 0A2 2 0 0 1 10 16.5Z"
              clipRule="evenodd"
            />
          </svg>
          {unread > 0 && (
            <span
              data-testid="unread-count"
              className="absolute -top-0.5 -right-0.5 min-w-[1.1rem] rounded-full bg-rose-600 px-1 text-center text-[11px] leading-[1.1rem] font-semibold text-white"
              aria-hidden
            >
              {unread > 99 ? "99+" : unread}
            </span>
          )}
        </>
      }
    >
      <div className="fixed inset-x-2 top-14 rounded-lg border border-gray-200 bg-white text-sm shadow-lg sm:absolute sm:inset-x-auto sm:top-11 sm:right-0 sm:w-[22rem] dark:border-gray-800 dark:bg-gray-900">
        <div className="flex items-center justify-between border-b border-gray-200 px-3 py-2 dark:border-gray-800">
          <p className="font-medium">Notifications</p>
          <button
            type="button"
            className="rounded px-2 py-1 text-xs text-brand-700 hover:bg-gray-100 disabled:opacity-50 dark:text-brand-300 dark:hover:bg-gray-800"
            disabled={unread === 0 || markAll.isPending}
            onClick={() => markAll.mutate()}
          >
            Mark all read
          </button>
        </div>
        {list.isError ? (
          <p className="px-3 py-4 text-gray-600 dark:text-gray-400">Notifications could not be loaded; they will be retried shortly.</p>
        ) : items.length === 0 ? (
          <p className="px-3 py-4 text-gray-600 dark:text-gray-400">
            {list.isLoading ? "Loading…" : "Nothing yet. Approvals you may give, your deployments' outcomes and incidents on your services appear here."}
          </p>
        ) : (
          <ul className="max-h-[60vh] divide-y divide-gray-100 overflow-y-auto dark:divide-gray-800">
            {items.map((item) => (
              <li key={item.id}>
                <Link
                  href={item.href}
                  onClick={() => {
                    if (!item.readAt) markRead.mutate({ ids: [item.id] });
                  }}
                  className={cx("flex gap-2 px-3 py-2 hover:bg-gray-50 dark:hover:bg-gray-800", !item.readAt && "bg-brand-50/60 dark:bg-gray-800/60")}
                >
                  <span
                    className={cx(
                      "mt-1.5 h-2 w-2 shrink-0 rounded-full",
                      item.readAt ? "bg-gray-300 dark:bg-gray-600" : (KIND_DOT[item.kind] ?? "bg-brand-600"),
                    )}
                    aria-hidden
                  />
                  <span className="min-w-0 flex-1">
                    <span className={cx("block break-words", !item.readAt && "font-medium")}>
                      {item.title}
                      {!item.readAt && <span className="sr-only"> (unread)</span>}
                    </span>
                    {item.body && <span className="block truncate text-xs text-gray-600 dark:text-gray-400">{item.body}</span>}
                    <span className="block text-xs text-gray-600 dark:text-gray-400">{formatRelative(item.createdAt)}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </div>
    </HeaderMenu>
  );
}
