import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, PageHeader, Table, Td } from "@/app/_components/ui";
import { AccountActions } from "./account-actions";
import { RoleSelect } from "./role-select";

export const metadata = { title: "Users and roles" };

export default async function UsersPage() {
  const caller = await serverCaller();
  const [users, me] = await Promise.all([caller.identity.listUsers(), caller.identity.session()]);
  const byEmail = new Map(users.map((u) => [u.email.toLowerCase(), u.id]));
  const targets = users.filter((u) => !u.disabledAt).map((u) => ({ id: u.id, name: u.name, email: u.email }));
  return (
    <>
      <PageHeader
        title="Users and roles"
        description="A role change or disabling ends the user's sessions at once; every change is audited. A GitHub or single sign-on sign-in whose provider did not verify its e-mail gets an account of its own: merge it into the right user."
      />
      <Table head={["Name", "E-mail", "Signs in with", "Teams", "Role", "Account"]} caption="Users">
        {users.map((u) => {
          const claimed = u.externalAccounts.find((a) => a.email && byEmail.get(a.email.toLowerCase()) !== u.id)?.email;
          return (
            <tr key={u.id}>
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
              <Td>{u.memberships.map((m) => m.team.name).join(", ") || "—"}</Td>
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
