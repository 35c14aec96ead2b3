import { Card, EmptyState, Metric, PageHeader, Table, Td } from "@/app/_components/ui";
import { DateTime } from "@/app/_components/time";
import { serverCaller } from "@/app/_lib/server-caller";
import { RetrainButton } from "./_retrain";

export const metadata = { title: "Risk model" };
export const dynamic = "force-dynamic";

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const num = (x: number | null, digits = 3) => (x === null ? "n/a" : x.toFixed(digits));

// The admin layout lets only admins in; the procedures check the role again.
export default async function RiskModelPage() {
  const trpc = await serverCaller();
  const { model, features, minimum } = await trpc.riskModel.current();
  const weights = model?.kind === "logistic" && "weights" in model.coefficients ? model.coefficients : null;
  return (
    <div className="space-y-4">
      <PageHeader
        title="Risk model"
        description="A logistic regression learned from Pier's finished requests predicts P(failed or rolled back) for each new request, shown to approvers beside the hand-set score with its three main reasons. Retrained by the workers every 6 hours; backtested on the newest 20 % of the history after fitting on the older 80 %."
        actions={<RetrainButton />}
      />
      {!model ? (
        <EmptyState title="Not trained yet">The workers train it within the hour, or retrain it now.</EmptyState>
      ) : (
        <>
          <section aria-label="Backtest" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <Metric label="Trained" value={<DateTime value={model.trainedAt} />} hint={model.kind === "logistic" ? "logistic regression" : "fallback"} />
            <Metric label="History" value={`${model.finished} finished`} hint={`${model.failures} failed or rolled back`} />
            <Metric label="AUC (newest 20 %)" value={num(model.auc)} hint={`hand-set score: ${num(model.baselineAuc)}`} />
            <Metric label="Brier score" value={num(model.brier)} hint={`fit on ${model.trainCount}, tested on ${model.testCount}`} />
          </section>
          {model.kind === "fallback" && (
            <Card title="Falling back to the hand-set score">
              <p className="text-sm">{model.reason}.</p>
              <p className="mt-1 text-xs text-gray-600 dark:text-gray-400">
                Needs at least {minimum.finished} finished requests and {minimum.failures} failures.
              </p>
            </Card>
          )}
          {model.calibration.length > 0 && (
            <Card title="Calibration on the newest 20 %">
              <p className="mb-2 text-xs text-gray-600 dark:text-gray-400">
                Requests sorted by predicted probability and cut into ten groups: a calibrated model predicts what each group then saw.
              </p>
              <Table head={["Decile", "Requests", "Predicted", "Observed"]} caption="Calibration by decile">
                {model.calibration.map((b) => (
                  <tr key={b.bin}>
                    <Td>{b.bin}</Td>
                    <Td>{b.count}</Td>
                    <Td>{pct(b.predicted)}</Td>
                    <Td>{pct(b.observed)}</Td>
                  </tr>
                ))}
              </Table>
            </Card>
          )}
          {weights && (
            <Card title="Coefficients (log-odds)">
              <p className="mb-2 text-xs text-gray-600 dark:text-gray-400">
                Intercept {weights.intercept.toFixed(2)}. Positive raises the odds of failure; a reason shown to approvers is a coefficient times its feature.
              </p>
              <Table head={["Feature", "Coefficient"]} caption="Coefficients">
                {features.map((f) => (
                  <tr key={f}>
                    <Td className="font-mono">{f}</Td>
                    <Td>{(weights.weights[f] ?? 0).toFixed(2)}</Td>
                  </tr>
                ))}
              </Table>
            </Card>
          )}
        </>
      )}
    </div>
  );
}
