// The shapes the Rust side sends (headroom-core's dashboard_view.rs). Times are RFC 3339 UTC.

export type Level = "plenty" | "getting-low" | "nearly-out" | "blocked";
export type Action = "run-codex" | "sign-in" | "paste-token" | "check-network" | "retry" | "doctor";

export interface WindowView {
  title: string;
  limit: string;
  kind: "5h" | "weekly" | "monthly" | "other";
  used_percent: number;
  left_percent: number;
  resets_at: string | null;
  reset_since: boolean;
  level: Level;
  /** "12% ahead of even pace, runs out in ~2 h 10 m" when the window has a pace. */
  pace: string | null;
  /** A monthly credit pool's own count: "250 of 1000 credits used". */
  credits: string | null;
}

/** What blocks Codex, in the Rust side's words; the UI adds the ticking time. */
export interface BlockedView {
  /** "Blocked by the weekly limit" */
  lead: string;
  resets_at: string | null;
  /** " — 2 reset credits available: use one in Codex with /usage", or "". */
  tail: string;
}

export interface DashboardView {
  plan: string | null;
  email: string | null;
  account_id: string | null;
  source: "live" | "session-log" | null;
  observed_at: string | null;
  stale: boolean;
  show_as: "left" | "used";
  windows: WindowView[];
  credits: string | null;
  /** "2 reset credits available — use one in Codex with /usage". */
  reset_credits: string | null;
  /** Said instead of windows when the answer has none. */
  notice: string | null;
  blocked: BlockedView | null;
  error: { short: string; message: string; action: Action } | null;
}

export interface SettingsForm {
  alerts_enabled: boolean;
  thresholds: Record<string, number[]>;
  threshold: boolean;
  limit_reached: boolean;
  available_again: boolean;
  token_expiring: boolean;
  credentials_rejected: boolean;
  pace: boolean;
  credits_in_use: boolean;
  /** A number of credits, or "" for no low-credit alert. */
  credits_low_below: string;
  quiet_start: string;
  quiet_end: string;
  show_as: "left" | "used";
  tray_title: boolean;
  /** null when the field was left empty. */
  poll_interval_minutes: number | null;
  codex_home: string;
  autostart: boolean;
  fallback_automatic: boolean;
}

export interface TokenInfo {
  mask: string;
  email: string | null;
  plan: string | null;
  account_id: string | null;
  expires_at: string | null;
  expired: boolean;
}

export interface Credentials {
  in_use: string | null;
  sources: { name: string; place: string; status: string }[];
  pasted: TokenInfo | null;
  /** The numbers shown come from Codex's session logs (no login was usable). */
  from_session_logs: boolean;
}

/** A value the backend could not use: the field's element id ("" for the whole file) and why. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** What saving did: the settings now in force, and the fields that kept their old values. */
export interface SavedSettings {
  form: SettingsForm;
  problems: FieldProblem[];
}

/** One window's use over time (unix seconds, used %) and its reset moments. */
export interface ChartSeries {
  title: string;
  limit: string;
  window: string;
  points: [number, number][];
  resets: number[];
}

export interface HistoryView {
  since: number;
  until: number;
  series: ChartSeries[];
}

/** Token counts as `headroom usage --json` gives them; input includes the cached input. */
export interface TokenCounts {
  input_tokens: number;
  cached_input_tokens: number;
  /** Input written to the prompt cache (part of the input). */
  cache_write_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}

export interface DayRow extends TokenCounts {
  date: string;
  models: Record<string, TokenCounts>;
}

export interface DailyReport {
  daily: DayRow[];
  totals: TokenCounts;
}
