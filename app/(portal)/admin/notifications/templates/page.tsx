import { serverCaller } from "@/app/_lib/server-caller";
import { PageHeader } from "@/app/_components/ui";
import { TemplateEditor } from "./template-editor";

export const metadata = { title: "Notification templates" };

export default async function TemplatesPage() {
  const options = await (await serverCaller()).notifications.options();
  return (
    <div className="space-y-4">
      <PageHeader
        title="Templates"
        description="Per event type and channel type. Only the listed variables can be used; values are escaped for each channel."
      />
      <TemplateEditor eventTypes={[...options.eventTypes]} channelTypes={[...options.channelTypes]} variables={[...options.templateVariables]} />
    </div>
  );
}
