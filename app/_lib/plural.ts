// "1 member", "2 members", "0 approvals": a count with its noun, never "1 members" or "approval(s)".
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString("en-GB")} ${count === 1 ? singular : pluralForm}`;
}
