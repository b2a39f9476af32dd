// The dashboard's decisions, kept out of the component so they can be tested without a webview.

import { countdown, localClock } from "./format";
import type { DashboardView, WindowView } from "./types";

/** The main Codex windows first (5-hour, weekly…), then code review and model-specific limits. */
export function splitWindows(view: DashboardView | null): { main: WindowView[]; extra: WindowView[] } {
  const windows = view?.windows ?? [];
  return { main: windows.filter((w) => w.limit === "codex"), extra: windows.filter((w) => w.limit !== "codex") };
}

/** The big number: what is left, or what is used, by the user's setting. */
export function amount(view: DashboardView, w: WindowView): { value: number; text: string; other: string } {
  return view.show_as === "used"
    ? { value: w.used_percent, text: `${w.used_percent}% used`, other: `${w.left_percent}% left` }
    : { value: w.left_percent, text: `${w.left_percent}% left`, other: `${w.used_percent}% used` };
}

/** "Blocked by the weekly limit until Tue 09:00 (in 2 d 3 h)." */
export function blockedText(blocked: NonNullable<DashboardView["blocked"]>, now: Date): string {
  return blocked.resets_at
    ? `Blocked by the ${blocked.window} limit until ${localClock(blocked.resets_at, now)} (${countdown(blocked.resets_at, now)}).`
    : `Blocked by the ${blocked.window} limit.`;
}

/** What the dashboard says when it has no numbers to show. */
export function emptyText(view: DashboardView | null): string | null {
  if (view === null) return "Loading…";
  if (view.windows.length === 0 && !view.error) return "Looking for your Codex numbers…";
  return null;
}
