// The history chart's data in the shape uPlot wants: one shared, sorted time axis and one
// column per series, null where that series has no sample (drawn across, not as zero).

import type { ChartSeries } from "./types";

export type Columns = [number[], ...(number | null)[][]];

export function columns(series: ChartSeries[]): Columns {
  const times = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const column: (number | null)[] = new Array(times.length).fill(null);
    for (const [t, used] of s.points) column[index.get(t)!] = used;
    return column;
  });
  return [times, ...ys];
}

/** The 5-hour window in blue, the weekly one in violet, others in the remaining colours. */
export function colour(series: ChartSeries, i: number): string {
  if (series.limit === "codex" && series.window === "5h") return "#2f81f7";
  if (series.limit === "codex" && series.window === "weekly") return "#a371f7";
  return ["#3fb950", "#d29922", "#db61a2", "#8b949e"][i % 4];
}
