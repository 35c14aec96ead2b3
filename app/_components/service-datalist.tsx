// The services a slug field suggests (a <datalist> the input names with `list`): slug as the value, name as the label.
export function ServiceDatalist({ id, services }: { id: string; services: { slug: string; name: string }[] | undefined }) {
  return (
    <datalist id={id}>
      {(services ?? []).map((s) => (
        <option key={s.slug} value={s.slug}>
          {s.name}
        </option>
      ))}
    </datalist>
  );
}
