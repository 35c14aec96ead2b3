// An API's definition as readable text: JSON pretty-printed, everything else (OpenAPI/AsyncAPI YAML, GraphQL SDL,
// protobuf) shown as written, with line numbers and the format named. No highlighter dependency: plain <pre>.
import { Badge } from "@/app/_components/ui";

function readable(type: string, definition: string): { text: string; format: string } {
  const trimmed = definition.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { text: JSON.stringify(JSON.parse(trimmed), null, 2), format: `${type} · JSON` };
    } catch {
      // Not JSON after all: shown as written.
    }
  }
  const format = { openapi: "OpenAPI", asyncapi: "AsyncAPI", graphql: "GraphQL SDL", grpc: "Protocol Buffers", trpc: "tRPC" }[type] ?? type;
  return { text: definition.replace(/\s+$/, ""), format };
}

export function ApiDefinition({ type, definition }: { type: string; definition: string }) {
  const { text, format } = readable(type, definition);
  const lines = text.split("\n");
  return (
    <div>
      <div className="mb-2 flex items-center gap-2 text-xs text-gray-500 dark:text-gray-400">
        <Badge>{format}</Badge>
        <span>{lines.length} lines</span>
      </div>
      <pre
        data-testid="api-definition"
        className="max-h-[32rem] overflow-auto rounded-md bg-gray-50 p-3 font-mono text-xs leading-5 dark:bg-gray-950"
        aria-label={`${format} definition`}
        // It scrolls on its own: keyboard users reach it to scroll it (axe: scrollable-region-focusable).
        tabIndex={0}
      >
        {lines.map((line, i) => (
          <div key={i} className="flex">
            <span aria-hidden className="mr-4 w-8 shrink-0 text-right text-gray-500 select-none dark:text-gray-400">
              {i + 1}
            </span>
            <code className={/^\s*(#|\/\/)/.test(line) ? "text-gray-500 dark:text-gray-400" : undefined}>{line || " "}</code>
          </div>
        ))}
      </pre>
    </div>
  );
}
