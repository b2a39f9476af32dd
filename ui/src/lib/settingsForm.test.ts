import { describe, expect, it } from "vitest";
import { afterSave, inUseLine, prepare } from "./settingsForm";
import type { SettingsForm } from "./types";

const form: SettingsForm = {
  alerts_enabled: true,
  thresholds: { "5h": [80, 95], weekly: [80, 95], monthly: [80, 95], other: [80, 95] },
  threshold: true,
  limit_reached: true,
  available_again: true,
  token_expiring: true,
  credentials_rejected: true,
  pace: false,
  credits_in_use: true,
  reset_credit_expiring: true,
  credits_low_below: "",
  quiet_start: "",
  quiet_end: "",
  show_as: "left",
  tray_title: true,
  poll_interval_minutes: 5,
  codex_home: "",
  autostart: false,
  fallback_automatic: false,
};

describe("the settings form, field by field", () => {
  it("sends the last saved thresholds for a field that does not parse, and names it", () => {
    const text = { "5h": "80, 95,200", weekly: "60, 90", monthly: "50", other: "80, 95" };
    const { form: sent, problems } = prepare(form, text);
    expect(sent.thresholds["5h"]).toEqual([80, 95]);
    expect(sent.thresholds.weekly).toEqual([60, 90]);
    expect(sent.thresholds.monthly).toEqual([50]);
    expect(problems).toEqual({ "thresholds-5h": "5-hour window: Percentages go from 1 to 100." });
  });

  it("keeps what was typed in a field the backend refused, and takes the rest as saved", () => {
    const sent = { ...form, poll_interval_minutes: null, tray_title: false };
    const saved = {
      form: { ...form, tray_title: false },
      problems: [{ field: "poll-interval", message: "The poll interval must be from 1 to 60 minutes." }],
    };
    const { form: shown, problems } = afterSave(sent, saved, {});
    expect(shown.poll_interval_minutes).toBeNull();
    expect(shown.tray_title).toBe(false);
    expect(problems).toEqual({ "poll-interval": "The poll interval must be from 1 to 60 minutes." });
  });

  it("clears a field's problem once it saves", () => {
    const { problems } = afterSave(form, { form, problems: [] }, {});
    expect(problems).toEqual({});
  });
});

describe("inUseLine", () => {
  const account = (id: string, label: string, shown: boolean) => ({
    id,
    label,
    name: label.split(" · ")[0],
    workspace: label.split(" · ").slice(1).join(" · ") || null,
    source: "Codex's login file (/h/auth.json)",
    problem: null,
    pasted: null,
    shown,
  });
  const credentials = {
    in_use: "Codex's login file (/w/auth.json)",
    sources: [],
    pasted: null,
    from_session_logs: false,
    accounts: [account("a", "dev@example.com · Plus", false), account("b", "work@example.com · Business · Acme", true)],
  };

  it("names the account in the tray when there are several", () => {
    expect(inUseLine(credentials)).toBe("Numbers for work@example.com come from Codex's login file (/w/auth.json).");
  });

  it("names none when there is one", () => {
    expect(inUseLine({ ...credentials, accounts: [credentials.accounts[1]] })).toBe(
      "Numbers come from Codex's login file (/w/auth.json).",
    );
  });
});
