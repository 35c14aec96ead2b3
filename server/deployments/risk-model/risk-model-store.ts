// The one writer of RiskModel rows: a training run appends one; the newest serves. Old runs beyond the last
// KEEP_RUNS are pruned with each append (the admin page shows the newest; a few before it tell a trend).
import type { Insertable } from "kysely";
import { newId, type DB, type Kysely, type Selectable } from "../../db";
import type { CalibrationBin } from "./backtest-metrics";

const KEEP_RUNS = 20;

export type StoredCoefficients = { intercept: number; weights: Record<string, number> };
export type RiskModelRow = Omit<Selectable<DB["RiskModel"]>, "coefficients" | "calibration"> & {
  coefficients: StoredCoefficients | Record<string, never>;
  calibration: CalibrationBin[];
};

type NewRiskModel = Omit<Insertable<DB["RiskModel"]>, "id" | "coefficients" | "calibration"> & {
  coefficients?: StoredCoefficients;
  calibration?: CalibrationBin[];
};

export async function appendRiskModel(k: Kysely<DB>, values: NewRiskModel): Promise<RiskModelRow> {
  const row = await k
    .insertInto("RiskModel")
    .values({ ...values, id: newId(), coefficients: JSON.stringify(values.coefficients ?? {}), calibration: JSON.stringify(values.calibration ?? []) })
    .returningAll()
    .executeTakeFirstOrThrow();
  const keep = k.selectFrom("RiskModel").select("id").orderBy("trainedAt", "desc").orderBy("id", "desc").limit(KEEP_RUNS);
  await k.deleteFrom("RiskModel").where("id", "not in", keep).execute();
  return row as RiskModelRow;
}

/** The model that serves: the newest run (null before the first). */
export async function latestRiskModel(k: Kysely<DB>): Promise<RiskModelRow | null> {
  const row = await k.selectFrom("RiskModel").selectAll().orderBy("trainedAt", "desc").orderBy("id", "desc").limit(1).executeTakeFirst();
  return (row as RiskModelRow | undefined) ?? null;
}
