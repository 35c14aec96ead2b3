import { serverCaller } from "@/app/_lib/server-caller";
import { PageHeader, Table, Td } from "@/app/_components/ui";
import { RoleSelect } from "./role-select";

export default async function UsersPage() {
  const caller = await serverCaller();
  const [users, me] = await Promise.all([caller.identity.listUsers(), caller.identity.session()]);
  return (
    <>
      <PageHeader title="Users and roles" description="Roles take effect on the user's next request; every change is audited." />
      <Table head={["Name", "E-mail", "Teams", "Role"]} caption="Users">
        {users.map((u) => (
          <tr key={u.id}>
            <Td className="font-medium">{u.name}</Td>
            <Td className="text-gray-500">{u.email}</Td>
            <Td>{u.memberships.map((m) => m.team.name).join(", ") || "—"}</Td>
            <Td>
              <RoleSelect userId={u.id} name={u.name} role={u.role} disabled={u.id === me?.id} />
            </Td>
          </tr>
        ))}
      </Table>
    </>
  );
}
