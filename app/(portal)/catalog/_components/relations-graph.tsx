"use client";
// The entity's relations as a graph (React Flow, laid out left to right by dagre): the entity in the middle, what
// it points at on the right, what points at it on the left; unresolved targets dashed. Clicking a resolved node
// opens its page. The tables next to it hold the same facts for keyboards and screen readers.
import "@xyflow/react/dist/style.css";
import { Background, Controls, MarkerType, ReactFlow, type Edge, type Node } from "@xyflow/react";
import { Graph, layout } from "@dagrejs/dagre";
import { useRouter } from "next/navigation";
import { useMemo, useSyncExternalStore } from "react";
import { entityHref } from "./entity-links";

type Target = { type: string; ref: string; resolved: boolean; kind: string; namespace: string; name: string; pierPage?: string };

const NODE_WIDTH = 190;
const NODE_HEIGHT = 44;

function build(center: { ref: string; kind: string; name: string }, outgoing: Target[], incoming: Target[]) {
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 16, ranksep: 90 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, Target | typeof center>([[center.ref, center]]);
  for (const t of [...outgoing, ...incoming]) nodes.set(t.ref, t);
  for (const ref of nodes.keys()) g.setNode(ref, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const edges: Edge[] = [];
  outgoing.forEach((t, i) => {
    g.setEdge(center.ref, t.ref);
    edges.push({
      id: `o${i}`,
      source: center.ref,
      target: t.ref,
      label: t.type,
      markerEnd: { type: MarkerType.ArrowClosed },
      style: t.resolved ? undefined : { strokeDasharray: "4 3" },
    });
  });
  incoming.forEach((t, i) => {
    if (t.ref === center.ref) return;
    g.setEdge(t.ref, center.ref);
    edges.push({ id: `i${i}`, source: t.ref, target: center.ref, label: t.type, markerEnd: { type: MarkerType.ArrowClosed } });
  });
  layout(g);
  const flowNodes: Node[] = [...nodes.entries()].map(([ref, n]) => {
    const pos = g.node(ref);
    const resolved = !("resolved" in n) || n.resolved;
    return {
      id: ref,
      position: { x: pos.x - NODE_WIDTH / 2, y: pos.y - NODE_HEIGHT / 2 },
      data: { label: `${n.kind}: ${n.name}`, href: "resolved" in n && n.resolved ? (n.pierPage ?? entityHref(n)) : null },
      style: {
        width: NODE_WIDTH,
        fontSize: 11,
        borderStyle: resolved ? "solid" : "dashed",
        fontWeight: ref === center.ref ? 600 : 400,
        cursor: "resolved" in n && n.resolved ? "pointer" : "default",
      },
      sourcePosition: "right" as Node["sourcePosition"],
      targetPosition: "left" as Node["targetPosition"],
    } satisfies Node;
  });
  return { nodes: flowNodes, edges };
}

// React Flow draws white nodes that inherit the page's text colour: in dark mode, light text on white. It follows the
// portal's theme (the `dark` class on <html>, set by the theme toggle) through its own colorMode.
const watchTheme = (onChange: () => void) => {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  return () => observer.disconnect();
};
const isDark = () => document.documentElement.classList.contains("dark");

export function RelationsGraph({
  center,
  outgoing,
  incoming,
}: {
  center: { ref: string; kind: string; name: string };
  outgoing: Target[];
  incoming: Target[];
}) {
  const router = useRouter();
  const dark = useSyncExternalStore(watchTheme, isDark, () => false);
  const { nodes, edges } = useMemo(() => build(center, outgoing, incoming), [center, outgoing, incoming]);
  return (
    <figure className="h-80 w-full rounded-md border border-gray-200 dark:border-gray-800" data-testid="relations-graph">
      <figcaption className="sr-only">Relations graph; the tables below list the same relations</figcaption>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        fitView
        colorMode={dark ? "dark" : "light"}
        nodesDraggable={false}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_, node) => {
          const href = (node.data as { href: string | null }).href;
          if (href) router.push(href);
        }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </figure>
  );
}
