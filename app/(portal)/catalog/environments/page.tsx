// Environments in promotion order; admins add more.
import { serverCaller, currentUser } from "@/app/_lib/server-caller";
import { Badge, Card, PageHeader, Table, Td } from "@/app/_components/ui";
import { canAdminister } from "@/server/identity/access";
import { EnvironmentForm } from "./environment-form";

export const metadata = { title: "Environments" };

export default async function EnvironmentsPage() {
  const [envs, user] = await Promise.all([(await serverCaller()).catalog.environments(), currentUser()]);
  return (
    <div className="max-w-3xl space-y-4">
      <PageHeader title="Environments" description="Deployments are promoted from lower to higher ranks." />
      <Table head={["Rank", "Name", ""]} caption="Environments">
        {envs.map((e) => (
          <tr key={e.id}>
            <Td>{e.rank}</Td>
            <Td>{e.name}</Td>
            <Td>{e.isProduction && <Badge color="red">production</Badge>}</Td>
          </tr>
        ))}
      </Table>
      {user && canAdminister(user) && (
        <Card title="Add an environment">
          <EnvironmentForm />
        </Card>
      )}
    </div>
  );
}
