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

/** Colours for the other series, in order; after them, hues spread by the golden angle. */
const OTHERS = ["#3fb950", "#d29922", "#db61a2", "#39c5cf", "#f0883e", "#8b949e"];

/**
 * The 5-hour window in blue, the weekly one in violet, every other series a colour of its own
 * (`i` is the series' position; no two positions share a colour, however many there are).
 */
export function colour(series: ChartSeries, i: number): string {
  if (series.limit === "codex" && series.window === "5h") return "#2f81f7";
  if (series.limit === "codex" && series.window === "weekly") return "#a371f7";
  if (i < OTHERS.length) return OTHERS[i];
  // Blue and violet's hues (about 215° and 265°) are kept for the main windows; lightness
  // alternates so that neighbours differ from the palette's colours too.
  const n = i - OTHERS.length;
  const hue = (95 + n * 137.508) % 360;
  const clear = hue > 200 && hue < 280 ? (hue + 90) % 360 : hue;
  return `hsl(${clear.toFixed(1)}, 70%, ${n % 2 === 0 ? 38 : 64}%)`;
}
