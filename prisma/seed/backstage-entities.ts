// Demo Backstage entities, imported the way a user would (server/catalog/backstage-import.ts, as the demo admin):
// a Group hierarchy over the seeded teams, Users (mapped to Pier accounts by e-mail), a Domain, a System with an API (OpenAPI definition), a Component
// providing it and a Resource. Idempotent: a second run finds nothing to change.
import type { Db } from "../../server/db";
import { loadSessionUser } from "../../server/identity/users";
import { importCatalogYaml } from "../../server/catalog/backstage-import";
import { setCatalogSettings } from "../../server/catalog/user-mapping";

const OPENAPI = `openapi: 3.0.3
info:
  title: Payments API
  version: 1.4.0
paths:
  /payments:
    post:
      summary: Create a payment
      responses:
        "201": { description: Created }
  /payments/{id}:
    get:
      summary: Read a payment
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200": { description: The payment }
`;

const CATALOG = `
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: engineering, description: Everyone who builds Pier's demo shop }
spec:
  type: organization
  profile: { displayName: Engineering, email: engineering@pier.example }
  children: [payments, platform, growth, data]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: sam }
spec:
  profile: { displayName: Sam, email: sam@pier.example }
  memberOf: [engineering]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: dana }
spec:
  profile: { displayName: Dana, email: Dana@Pier.example }
  memberOf: [engineering, payments]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: jordan }
spec:
  profile: { displayName: Jordan, email: jordan@contractor.example }
  memberOf: [payments]
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: { name: commerce, description: Selling things and getting paid }
spec: { owner: engineering }
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: payments-platform
  title: Payments platform
  description: Taking, recording and refunding payments
  labels: { cost-center: cc-1042 }
spec: { owner: payments, domain: commerce }
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
  title: Payments API
  tags: [rest, openapi]
  links:
    - { url: "https://docs.example.com/payments-api", title: API docs, icon: docs, type: documentation }
spec:
  type: openapi
  lifecycle: production
  owner: payments
  system: payments-platform
  definition: |
${OPENAPI.replace(/^/gm, "    ")}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payment-links
  title: Payment links
  description: Shareable links that take a payment
  annotations: { backstage.io/source-location: "url:https://github.com/pier-demo/payment-links" }
spec:
  type: service
  lifecycle: experimental
  owner: payments
  system: payments-platform
  providesApis: [payments-api]
  dependsOn: [component:ledger, resource:payments-db]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: payments-db, description: Postgres cluster for payments }
spec: { type: database, owner: payments, system: payments-platform }
`;

export async function seedBackstageEntities(db: Db) {
  const admin = await loadSessionUser(db, "demo-sam");
  if (!admin) throw new Error("seed the demo users first");
  // Users mapped to Pier accounts by e-mail (Dana's in another case; Jordan has no account, so stays unmapped):
  // Sam and Dana join Engineering from the catalog; Dana's hand-made Payments membership stays hand-made.
  await setCatalogSettings(db, admin, { mapUsersByEmail: true });
  const report = await importCatalogYaml(db, admin, CATALOG);
  const refused = report.entities.filter((e) => e.status === "error");
  if (refused.length) throw new Error(`demo Backstage entities refused: ${refused.map((e) => `${e.kind} ${e.name}: ${e.reason}`).join("; ")}`);
  return report.counts;
}
