// The dashboard's decisions, kept out of the component so they can be tested without a webview.

import { countdown, localClock } from "./format";
import type { BlockedView, DashboardView, WindowView } from "./types";

/** The windows that can stop Codex first (5-hour, weekly…, the workspace's credit pool), then code
 * review and model-specific limits. */
export function splitWindows(view: DashboardView | null): { main: WindowView[]; extra: WindowView[] } {
  const windows = view?.windows ?? [];
  const quota = (w: WindowView) => w.limit === "codex" || w.limit === "credit_pool";
  return { main: windows.filter(quota), extra: windows.filter((w) => !quota(w)) };
}

/** The big number: what is left, or what is used, by the user's setting. */
export function amount(view: DashboardView, w: WindowView): { value: number; text: string; other: string } {
  return view.show_as === "used"
    ? { value: w.used_percent, text: `${w.used_percent}% used`, other: `${w.left_percent}% left` }
    : { value: w.left_percent, text: `${w.left_percent}% left`, other: `${w.used_percent}% used` };
}

/** "Blocked by the weekly limit until Tue 09:00 (in 2 d 3 h)." */
export function blockedText(blocked: BlockedView, now: Date): string {
  const until =
    blocked.resets_at && new Date(blocked.resets_at) > now
      ? ` until ${localClock(blocked.resets_at, now)} (${countdown(blocked.resets_at, now)})`
      : "";
  return `${blocked.lead}${until}${blocked.tail}.`;
}

/** When a window resets, in words: "resets 14:20 · " with the countdown "in 2 h 13 m" beside it,
 * "reset at 14:20" once that has passed (never a past reset shown as one to come), "has reset
 * since", or nothing. */
export function resetText(w: WindowView, now: Date): { text: string; countdown: string | null } | null {
  if (w.reset_since) return { text: "has reset since", countdown: null };
  if (!w.resets_at) return null;
  if (new Date(w.resets_at) <= now) return { text: `reset at ${localClock(w.resets_at, now)}`, countdown: null };
  return { text: `resets ${localClock(w.resets_at, now)} · `, countdown: countdown(w.resets_at, now) };
}

/** What the dashboard says when it has no numbers to show. */
export function emptyText(view: DashboardView | null): string | null {
  if (view === null) return "Loading…";
  if (view.windows.length > 0 || view.error) return null;
  return view.notice ?? "Looking for your Codex numbers…";
}

/** Every account's card: the one in the tray first, then the others in their order. */
export function cardsOf(view: DashboardView | null): DashboardView[] {
  return view ? [view, ...view.others] : [];
}

/** More than three accounts do not fit side by side: one card at a time, picked in a switcher. */
export function usesSwitcher(cards: DashboardView[]): boolean {
  return cards.length > 3;
}
