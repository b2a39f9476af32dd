// Generated from the Rust types by src-tauri/src/ui_types.rs: do not edit.
// After changing one of those types: UPDATE_UI_TYPES=1 cargo test -p headroom-window ui_types

export type Level = "plenty" | "getting-low" | "nearly-out" | "blocked";

export type WindowKind = "5h" | "weekly" | "monthly" | "other";

export type SourceKind = "api" | "session-log";

export type ShowAs = "left" | "used";

export type Action = "run-codex" | "sign-in" | "paste-token" | "check-network" | "retry" | "doctor";

export type WindowView = {
  /** "5-hour", "Weekly", "Code review weekly", "GPT-5.3-Codex-Spark 5-hour". */
  title: string;
  limit: string;
  kind: WindowKind;
  used_percent: number;
  left_percent: number;
  resets_at: string | null;
  reset_since: boolean;
  level: Level;
  /** "12% ahead of even pace, runs out in ~2 h 10 m", when the window has a pace. */
  pace: string | null;
  /** A credit pool's own count: "250 of 1000 credits used". */
  credits: string | null;
  /** The one model a per-model limit can be used with: "Luna only" for Luna Reserve. */
  only: string | null;
};

export type BlockedView = {
  /** "Blocked by the weekly limit" */
  lead: string;
  resets_at: string | null;
  /** " — Codex can go on with Luna Reserve (Luna only, 76% left); 2 reset credits available: using one resets this limit now", or empty. */
  tail: string;
};

export type ResetCreditView = {
  id: string;
  /** "Full reset (Weekly + 5 hr)". */
  title: string;
  /** RFC 3339, or none when it does not expire. */
  expires_at: string | null;
  /** "expires 17 Jul", "does not expire". */
  expiry: string;
  /** What "Use a reset credit…" asks before anything is sent. */
  question: string;
};

export type ErrorView = {
  /** A few words: "Login expired — run `codex`". */
  short: string;
  /** The whole sentence with its fix. */
  message: string;
  action: Action;
  /** What to do, for the card's own account: "Run `CODEX_HOME=~/.codex-work codex` in a terminal to refresh your login" (never plain `codex` for another home's account). */
  fix: string;
};

export type AccountTag = {
  /** What `--account` and the history know it by (its account id, else email, else place). */
  id: string;
  /** Its email, else its id. */
  label: string;
  /** The account Codex uses by default. */
  is_default: boolean;
  /** `CODEX_HOME=… codex`, when it has a Codex home of its own. */
  command: string | null;
  /** It has a Codex home on this machine (so its tokens can be counted). */
  has_home: boolean;
};

export type DashboardView = {
  plan: string | null;
  email: string | null;
  account_id: string | null;
  /** None before the first numbers. */
  source: SourceKind | null;
  observed_at: string | null;
  stale: boolean;
  show_as: ShowAs;
  windows: Array<WindowView>;
  credits: string | null;
  /** "2 reset credits available — the next expires 17 Jul". */
  reset_credits: string | null;
  /** Each banked reset, soonest to expire first (empty when the list could not be read). */
  reset_credit_list: Array<ResetCreditView>;
  /** Offer "Use a reset credit…": a credit is banked and a limit blocks or nearly blocks. */
  offer_reset_credit: boolean;
  /** Said instead of windows when the answer has none. */
  notice: string | null;
  blocked: BlockedView | null;
  error: ErrorView | null;
  /** Which account this is. */
  account: AccountTag;
  /** Every other account, a card each, in the accounts' order (empty with one account, and in each of these). */
  others: Array<DashboardView>;
};

export type SettingsForm = {
  alerts_enabled: boolean;
  /** Per window kind ("5h", "weekly", "monthly", "other"): used-% thresholds. */
  thresholds: Record<string, number[]>;
  threshold: boolean;
  limit_reached: boolean;
  available_again: boolean;
  token_expiring: boolean;
  credentials_rejected: boolean;
  pace: boolean;
  credits_in_use: boolean;
  reset_credit_expiring: boolean;
  /** A number of credits, or empty for no low-credit alert. */
  credits_low_below: string;
  /** "HH:MM" each, or both empty for no quiet hours. */
  quiet_start: string;
  quiet_end: string;
  /** "left" or "used" (checked when saved, so a wrong value is that field's problem). */
  show_as: ShowAs;
  tray_title: boolean;
  /** `None` when the field was left empty. */
  poll_interval_minutes: number | null;
  /** Empty for CODEX_HOME / ~/.codex. */
  codex_home: string;
  autostart: boolean;
  fallback_automatic: boolean;
};

export type FieldProblem = {
  field: string;
  message: string;
};

export type SavedSettings = {
  form: SettingsForm;
  problems: Array<FieldProblem>;
};

export type TokenInfo = {
  mask: string;
  email: string | null;
  plan: string | null;
  account_id: string | null;
  /** RFC 3339. */
  expires_at: string | null;
  expired: boolean;
};

export type Source = {
  name: string;
  place: string;
  status: string;
};

export type AccountCredentials = {
  id: string;
  /** Its email with plan and workspace: "me@example.org · Plus · acct-personal". */
  label: string;
  /** Its email, else its id. */
  name: string;
  /** Its plan and workspace ("Plus · acct-personal"). */
  workspace: string | null;
  /** "Codex's login file (/home/dev/.codex/auth.json)". */
  source: string | null;
  /** Why it has no source now, in one sentence. */
  problem: string | null;
  /** The token pasted for it, as its mask and what it says of itself. */
  pasted: TokenInfo | null;
  /** The tray icon shows it. */
  shown: boolean;
};

export type Credentials = {
  /** Where the numbers come from now. */
  in_use: string | null;
  sources: Array<Source>;
  /** The pasted token, shown only as its mask and what it says about itself. */
  pasted: TokenInfo | null;
  /** The numbers shown come from Codex's session logs (no login was usable). */
  from_session_logs: boolean;
  /** Every account, and where each one's numbers come from. */
  accounts: Array<AccountCredentials>;
};

export type AccountEntry = {
  id: string;
  /** Its email, else its id. */
  label: string;
  /** Its plan and workspace ("Plus · acct-personal"): one email may be in two workspaces. */
  workspace: string | null;
  /** Each place its login was found: a home's path, a keychain entry, a variable. */
  found_in: Array<string>;
  is_default: boolean;
  /** The tray icon shows it. */
  shown: boolean;
  /** Pinned by the user (the icon shows it whatever the default). */
  pinned: boolean;
  /** It has an added home or a pasted token that can be removed. */
  removable: boolean;
  /** `CODEX_HOME=… codex`, when it has a Codex home of its own. */
  command: string | null;
};

export type HookEntry = {
  /** The event names it runs on ("threshold", "limit_reached", …). */
  on: Array<string>;
  run: string;
};

export type ChartSeries = {
  /** "5-hour", "Weekly", "Code review weekly". */
  title: string;
  limit: string;
  window: WindowKind;
  /** (unix seconds, used %), oldest first. */
  points: Array<[number, number]>;
  /** When the window reset within the range (unix seconds). */
  resets: Array<number>;
};

export type HistoryView = {
  since: number;
  until: number;
  series: Array<ChartSeries>;
};

export type TokenCounts = {
  /** All input tokens, the cached ones included (as OpenAI counts them). */
  input_tokens: number;
  cached_input_tokens: number;
  /** Input written to the prompt cache (`cache_write_input_tokens`), part of the input. */
  cache_write_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
};

export type Row = {
  models: Record<string, TokenCounts>;
  /** All input tokens, the cached ones included (as OpenAI counts them). */
  input_tokens: number;
  cached_input_tokens: number;
  /** Input written to the prompt cache (`cache_write_input_tokens`), part of the input. */
  cache_write_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
};

export type DayRow = {
  date: string;
  models: Record<string, TokenCounts>;
  /** All input tokens, the cached ones included (as OpenAI counts them). */
  input_tokens: number;
  cached_input_tokens: number;
  /** Input written to the prompt cache (`cache_write_input_tokens`), part of the input. */
  cache_write_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
};

export type DailyReport = {
  daily: Array<DayRow>;
  totals: TokenCounts;
};

export type Window = "dashboard" | "settings";

export type Call =
  | { "call": "watch"; open: Window }
  | { "call": "dashboard" }
  | { "call": "refresh" }
  | { "call": "settings" }
  | { "call": "save_settings"; form: SettingsForm; base?: SettingsForm }
  | { "call": "credentials" }
  | { "call": "credentials_changed" }
  | { "call": "remove_token"; account?: string }
  | { "call": "check_token"; account?: string }
  | { "call": "alert_pause" }
  | { "call": "reset_pause_label" }
  | { "call": "pause_alerts"; until_reset: boolean }
  | { "call": "resume_alerts" }
  | { "call": "export_history"; account?: string }
  | { "call": "history"; days?: number; account?: string }
  | { "call": "token_usage"; days?: number; account?: string }
  | { "call": "accounts" }
  | { "call": "add_home"; path: string }
  | { "call": "remove_account"; account: string }
  | { "call": "pin_account"; account?: string }
  | { "call": "hooks" }
  | { "call": "run_test_hook"; index: number }
  | { "call": "use_reset_credit"; account: string; credit: string }
  | { "call": "open"; window: Window };
