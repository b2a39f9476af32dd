// The settings window's form, field by field: a wrong field is named beside itself and keeps
// what the user typed, while every other field is saved.

import { parseThresholds } from "./thresholds";
import type { Credentials, FieldProblem, SavedSettings, SettingsForm } from "./types";

/** The window kinds whose thresholds the window edits, with their labels. */
export const THRESHOLD_KINDS = [
  ["5h", "5-hour window"],
  ["weekly", "Weekly window"],
  ["monthly", "Monthly credit limit"],
  ["other", "Other windows (per model, other lengths)"],
] as const;

/** Problems by field id; "" holds those about the whole file. */
export type Problems = Record<string, string>;

/**
 * The form to send: thresholds parsed from their text fields. A field that does not parse keeps
 * its last saved list in what is sent, and gets a problem.
 */
export function prepare(form: SettingsForm, thresholdText: Record<string, string>): { form: SettingsForm; problems: Problems } {
  const problems: Problems = {};
  const thresholds = { ...form.thresholds };
  for (const [kind, label] of THRESHOLD_KINDS) {
    const parsed = parseThresholds(thresholdText[kind] ?? "");
    if (typeof parsed === "string") problems[`thresholds-${kind}`] = `${label}: ${parsed}`;
    else thresholds[kind] = parsed;
  }
  return { form: { ...form, thresholds }, problems };
}

/** The form fields each field id stands for, to keep what the user typed there. */
const FIELDS: Record<string, (keyof SettingsForm)[]> = {
  "poll-interval": ["poll_interval_minutes"],
  "credits-low": ["credits_low_below"],
  "quiet-start": ["quiet_start", "quiet_end"],
  "quiet-end": ["quiet_start", "quiet_end"],
  "show-as": ["show_as"],
};

/**
 * After saving: the settings now in force, except in the fields with a problem, which keep what
 * was typed so that it can be corrected.
 */
export function afterSave(sent: SettingsForm, saved: SavedSettings, local: Problems): { form: SettingsForm; problems: Problems } {
  const problems: Problems = { ...local };
  for (const p of saved.problems) problems[p.field] = problems[p.field] ? `${problems[p.field]} ${p.message}` : p.message;
  const form = { ...saved.form } as Record<string, unknown>;
  for (const field of Object.keys(problems)) {
    for (const key of FIELDS[field] ?? []) form[key] = sent[key];
  }
  return { form: form as unknown as SettingsForm, problems };
}

export type { FieldProblem };

/**
 * Where the numbers come from; with several accounts, naming the one the credentials shown are
 * for (the one in the tray): "Numbers for dev@example.com come from Codex's login file (…)."
 */
export function inUseLine(c: Credentials): string {
  const shown = c.accounts.length > 1 ? c.accounts.find((a) => a.shown) : undefined;
  const whose = shown ? ` for ${shown.name}` : "";
  return `Numbers${whose} come from ${c.in_use}.`;
}
