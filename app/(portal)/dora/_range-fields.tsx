// The date-range part of a dashboard's filter form (DORA, delivery analytics): a preset, or from – to in the
// chosen time zone (read back by dashboardRange).
import { FilterField } from "@/app/_components/filter-field";
import { Input, Select } from "@/app/_components/ui";
import { PRESETS, type DashboardRange } from "./_range";

export function RangeFields({ range }: { range: DashboardRange }) {
  return (
    <>
      <FilterField label="Range">
        <Select name="days" defaultValue={range.days ? String(range.days) : ""} aria-label="Range">
          <option value="">Custom (from – to)</option>
          {PRESETS.map((d) => (
            <option key={d} value={d}>
              Last {d} days
            </option>
          ))}
        </Select>
      </FilterField>
      <FilterField label="From">
        <Input type="date" name="from" defaultValue={range.fromDate ?? ""} aria-label="From" />
      </FilterField>
      <FilterField label="To (inclusive)">
        <Input type="date" name="to" defaultValue={range.toDate ?? ""} aria-label="To" />
      </FilterField>
    </>
  );
}
