// Typed wrappers around Headroom's Tauri commands and events: the only place the UI talks to
// the backend. Nearly every one is a `Call` (its type generated from the Rust one) relayed to the
// tray process, which resolves to the answer's JSON or rejects with one sentence saying why
// nothing was done. The backend pushes new numbers as `dashboard` events; the UI never polls.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Call, DashboardView } from "./types";

/** The calls the page may make: the others are the window process's own (it refuses them). */
type PageCall = Exclude<Call, { call: "watch" | "open" | "credentials_changed" }>;

/** Sends one call to Headroom's tray; `T` is the shape the tray answers that call with. */
function call<T>(request: PageCall): Promise<T> {
  return invoke<T>("call", { call: request });
}

export function getDashboard(): Promise<DashboardView> {
  return call<DashboardView>({ call: "dashboard" });
}

export function refresh(): Promise<void> {
  return call<void>({ call: "refresh" });
}

export function onDashboard(handler: (view: DashboardView) => void): Promise<UnlistenFn> {
  return listen<DashboardView>("dashboard", (event) => handler(event.payload));
}

import type { Credentials, SavedSettings, SettingsForm, TokenInfo } from "./types";

export const getSettings = () => call<SettingsForm>({ call: "settings" });
/** Saves every valid field; the problems name the fields that kept their old values. */
/** `base` is the form as last had from Headroom: only what differs from it is the user's change. */
export const saveSettings = (form: SettingsForm, base: SettingsForm) =>
  call<SavedSettings>({ call: "save_settings", form, base });
export const getCredentials = () => call<Credentials>({ call: "credentials" });
/** The raw text goes to Rust once; only the mask and claims ever come back. */
export const pasteToken = (text: string) => invoke<TokenInfo>("paste_token", { text });
/** Removes the token pasted for `account` (its id; omitted: the account the tray shows). */
export const removeToken = (account?: string) => call<void>({ call: "remove_token", account });
/** Whether the usage service accepts the token pasted for `account`. */
export const checkToken = (account?: string) => call<string>({ call: "check_token", account });

/** Until when alerts are paused (RFC 3339), or null. */
export const alertPause = () => call<string | null>({ call: "alert_pause" });
/** "Until the 5-hour limit resets (15:34)", or null when no window says when it resets. */
export const resetPauseLabel = () => call<string | null>({ call: "reset_pause_label" });
export const pauseAlerts = (untilReset: boolean) => call<string | null>({ call: "pause_alerts", until_reset: untilReset });
export const resumeAlerts = () => call<void>({ call: "resume_alerts" });

/** Tells the backend the window has painted its first numbers (for the open-to-paint benchmark). */
export const reportPainted = (window: string) => invoke<void>("painted", { window });

import type { HistoryView } from "./types";

/** Each window's use over the last `days` days, from the history Headroom keeps. */
export const getHistory = (days = 7, account?: string) => call<HistoryView>({ call: "history", days, account });
/** Saves an account's whole history (the tray's account when none is named) as CSV in the
 * Downloads folder; resolves to the file's path. */
export const exportHistory = (account?: string) => call<string>({ call: "export_history", account });

import type { DailyReport } from "./types";

/** Tokens per day over the last `days` days, from Codex's session logs on this machine. */
export const getTokenUsage = (days = 14, account?: string) =>
  call<DailyReport>({ call: "token_usage", days, account });

import type { AccountEntry, HookEntry } from "./types";

/** Every account as found now: where each login is, never a secret. */
export const getAccounts = () => call<AccountEntry[]>({ call: "accounts" });
/** Adds a Codex home; rejects with one sentence when the folder holds no ChatGPT login. */
export const addHome = (path: string) => call<string>({ call: "add_home", path });
/** The system's folder picker; null when cancelled. */
export const chooseFolder = () => invoke<string | null>("choose_folder");
/** Removes an added home or a pasted token (from the keychain). */
export const removeAccount = (id: string) => call<string>({ call: "remove_account", account: id });
/** Shows this account in the tray icon; null for the default account. */
export const pinAccount = (id: string | null) => call<void>({ call: "pin_account", account: id ?? undefined });

/** The hooks in settings.toml, as written there. */
export const getHooks = () => call<HookEntry[]>({ call: "hooks" });
/** Runs the `index`th hook with a test event; resolves to what happened, rejects with why not. */
export const runTestHook = (index: number) => call<string>({ call: "run_test_hook", index });

/** Uses a banked reset credit, after the user confirmed: resolves to the outcome in one
 * sentence, rejects with why nothing happened (calling again reuses the same request). */
export const useResetCredit = (account: string, credit: string) =>
  call<string>({ call: "use_reset_credit", account, credit });
