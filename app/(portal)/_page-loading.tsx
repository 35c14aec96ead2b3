import { Spinner } from "../_components/ui";

export default function Loading() {
  return (
    <div className="py-12">
      <Spinner />
    </div>
  );
}
