// The loading state of the portal's areas. It is re-exported as loading.tsx only by areas with no [id]/[slug] page
// below them: a loading boundary above such a page starts streaming (status 200) before the page can say 404.
import { Spinner } from "../_components/ui";

export default function Loading() {
  return (
    <div className="py-12">
      <Spinner />
    </div>
  );
}
