// The keys of one scope in all three definition modes side by side (Pier, Four Keys, DevLake: ./modes.ts), so a
// team can see why Pier's numbers differ from the tool it already runs. Each mode counts the same canonical rows;
// the differences are the definitions (README "DORA definitions"), which are named next to each row on the page.
import type { Db } from "../db";
import { DEFAULT_BANDS, type BandSet } from "./levels";
import { levelsOf, modeFigures, resolveFilter, type DoraFilter, type Levels, type ModeKeyFigures } from "./metrics";
import { DORA_MODES, type DoraMode } from "./modes";

type ModeComparison = { mode: DoraMode; figures: ModeKeyFigures; levels: Levels };

export async function compareModes(db: Db, filter: DoraFilter & { bands?: BandSet }) {
  const f = await resolveFilter(db, filter);
  const bands = filter.bands ?? DEFAULT_BANDS;
  const modes: ModeComparison[] = await Promise.all(
    DORA_MODES.map(async (mode) => {
      const figures = await modeFigures(db, f, mode, f.from, f.to);
      return { mode, figures, levels: levelsOf(figures, bands) };
    }),
  );
  return {
    filter: { from: f.from, to: f.to, environment: f.environmentName, teamId: f.teamId, serviceId: f.serviceId },
    bands,
    modes,
  };
}
