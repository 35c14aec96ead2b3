"use client";
// An IANA time-zone picker (instead of free text): every zone the browser knows, grouped by region, with its offset.
import { useState, useSyncExternalStore, type SelectHTMLAttributes } from "react";
import { timeZoneGroups, timeZoneLabel, type TimeZoneGroup } from "../_lib/format";
import { Select } from "./ui";

let cached: TimeZoneGroup[] | null = null;
function browserGroups(): TimeZoneGroup[] {
  cached ??= timeZoneGroups(typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["UTC"]);
  return cached;
}
const noSubscription = () => () => {};

type Props = Omit<SelectHTMLAttributes<HTMLSelectElement>, "children" | "value" | "defaultValue"> & {
  /** The zone selected now (controlled) … */
  value?: string;
  /** … or at first (uncontrolled, in a form read with FormData). */
  defaultValue?: string;
  /** An extra first choice with the value "" (e.g. "Follow my browser"). */
  emptyLabel?: string;
};

export function TimeZoneSelect({ value, defaultValue, emptyLabel, onChange, ...props }: Props) {
  // The zone list is the browser's (server and browser may know different zones): until hydrated, only the selected
  // zone is offered, so the server's HTML and the first browser render agree.
  const groups = useSyncExternalStore(noSubscription, browserGroups, () => null);
  // Always controlled inside, so the selection survives the options arriving after hydration.
  const [own, setOwn] = useState(defaultValue ?? "");
  const selected = value ?? own;
  const known = !selected || (groups ?? []).some((g) => g.zones.some((z) => z.value === selected));
  return (
    <Select
      {...props}
      value={selected}
      onChange={(e) => {
        setOwn(e.target.value);
        onChange?.(e);
      }}
    >
      {emptyLabel !== undefined && <option value="">{emptyLabel}</option>}
      {/* Before hydration, or a saved zone this browser does not list (an alias like US/Pacific): still selectable. */}
      {!known && <option value={selected}>{timeZoneLabel(selected)}</option>}
      {groups?.map((g) =>
        g.region === "UTC" ? (
          <option key="UTC" value="UTC">
            UTC
          </option>
        ) : (
          <optgroup key={g.region} label={g.region}>
            {g.zones.map((z) => (
              <option key={z.value} value={z.value}>
                {z.label}
              </option>
            ))}
          </optgroup>
        ),
      )}
    </Select>
  );
}
