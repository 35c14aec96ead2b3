import { serverCaller } from "@/app/_lib/server-caller";
import Link from "next/link";
import { Badge, Card, PageHeader, Table, Td } from "@/app/_components/ui";
import { CatalogUserMapping } from "./catalog-user-mapping";
import { AccountActions } from "./account-actions";
import { RoleSelect } from "./role-select";

export const metadata = { title: "Users and roles" };

export default async function UsersPage() {
  const caller = await serverCaller();
  const [users, me, mapping] = await Promise.all([caller.identity.listUsers(), caller.identity.session(), caller.catalog.userMapping()]);
  const byEmail = new Map(users.map((u) => [u.email.toLowerCase(), u.id]));
  const targets = users.filter((u) => !u.disabledAt).map((u) => ({ id: u.id, name: u.name, email: u.email }));
  return (
    <>
      <PageHeader
        title="Users and roles"
        description="A role change or disabling ends the user's sessions at once; every change is audited. A GitHub or single sign-on sign-in whose provider did not verify its e-mail gets an account of its own: merge it into the right user."
      />
      <Card title="Catalog Users" className="mb-4">
        <CatalogUserMapping on={mapping.mapUsersByEmail} />
        {mapping.mapUsersByEmail && mapping.unmapped.length > 0 && (
          <div className="mt-3 text-sm">
            <p className="font-medium">
              {mapping.unmapped.length} of {mapping.catalogUsers} catalog Users match no Pier user:
            </p>
            <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-1" aria-label="Catalog Users with no Pier account">
              {mapping.unmapped.map((u) => (
                <li key={u.ref}>
                  <Link
                    href={`/catalog/entity/user/${encodeURIComponent(u.namespace)}/${encodeURIComponent(u.name)}`}
                    className="text-brand-700 underline dark:text-brand-300"
                  >
                    {u.name}
                  </Link>{" "}
                  <span className="text-gray-500 dark:text-gray-400">{u.email ?? "no e-mail"}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </Card>
      <Table head={["Name", "E-mail", "Signs in with", "Teams", "Role", "Account"]} caption="Users">
        {users.map((u) => {
          const claimed = u.externalAccounts.find((a) => a.email && byEmail.get(a.email.toLowerCase()) !== u.id)?.email;
          return (
            <tr key={u.id} id={`user-${u.id}`}>
              <Td className="font-medium">
                {u.name} {u.disabledAt && <Badge color="gray">disabled</Badge>}
              </Td>
              <Td className="text-gray-500 dark:text-gray-400">{u.email}</Td>
              <Td>
                {u.externalAccounts.length === 0
                  ? "—"
                  : u.externalAccounts.map((a, i) => (
                      <span key={i} className="block text-xs">
                        {a.provider}
                        {a.email && `: ${a.email}`}{" "}
                        {a.email && <Badge color={a.emailVerified ? "green" : "yellow"}>{a.emailVerified ? "verified" : "unverified"}</Badge>}
                      </span>
                    ))}
              </Td>
              <Td>
                {u.memberships.length === 0
                  ? "—"
                  : u.memberships.map((m) => (
                      <span key={m.team.slug} className="block text-xs">
                        {m.team.name}{" "}
                        {m.catalogRef && (
                          <Badge color="blue" title={`From the catalog: ${m.catalogRef}'s memberOf`}>
                            from catalog
                          </Badge>
                        )}
                      </span>
                    ))}
              </Td>
              <Td>
                <RoleSelect userId={u.id} name={u.name} role={u.role} disabled={u.id === me?.id} />
              </Td>
              <Td>
                <AccountActions
                  userId={u.id}
                  name={u.name}
                  disabled={Boolean(u.disabledAt)}
                  isSelf={u.id === me?.id}
                  mergeable={u.externalAccounts.length > 0}
                  suggestedTargetId={(claimed && byEmail.get(claimed.toLowerCase())) || null}
                  targets={targets}
                />
              </Td>
            </tr>
          );
        })}
      </Table>
    </>
  );
}
