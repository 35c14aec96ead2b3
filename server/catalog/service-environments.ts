// The catalog's record of what runs where (ServiceEnvironment): written here only. Deployments report a finished
// run through recordDeployedVersion; the executor placement is read by whoever starts a run.
import type { Tx } from "../db";

/**
 * The live version of a service in an environment after a successful run, with the run's COMMIT (nothing in the
 * transaction reads it back). The caller holds the target's lock.
 */
export function recordDeployedVersion(tx: Tx, target: { serviceId: string; environmentId: string }, deployed: { version: string; at: Date; byUserId: string }) {
  tx.deferred.write(
    tx
      .updateTable("ServiceEnvironment")
      .set({ currentVersion: deployed.version, lastDeployedAt: deployed.at, lastDeployedById: deployed.byUserId })
      .where("serviceId", "=", target.serviceId)
      .where("environmentId", "=", target.environmentId),
  );
}
