// A labelled field of a dashboard's GET filter form (DORA, delivery analytics): the caption above the control, the
// whole field one <label> so the caption names it.
import type { ReactNode } from "react";
import { Select } from "./ui";

export function FilterField({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="text-sm">
      <span className="mb-1 block text-xs font-medium text-gray-500 dark:text-gray-400">{label}</span>
      {children}
    </label>
  );
}

/** A filter choosing one of `options`, with a first "all" option (value "") that removes the filter. */
export function FilterSelect({
  label,
  name,
  value,
  all,
  options,
}: {
  label: string;
  name: string;
  value: string | null | undefined;
  all: string;
  options: { value: string; label: string }[];
}) {
  return (
    <FilterField label={label}>
      <Select name={name} defaultValue={value ?? ""} aria-label={label}>
        <option value="">{all}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </Select>
    </FilterField>
  );
}
