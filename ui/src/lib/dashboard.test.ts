import { describe, expect, it } from "vitest";
import { amount, blockedText, cardsOf, emptyText, resetText, splitWindows, usesSwitcher } from "./dashboard";
import type { DashboardView, WindowView } from "./types";

const now = new Date(2026, 10, 22, 10, 0, 0);
const window = (over: Partial<WindowView>): WindowView => ({
  title: "5-hour",
  limit: "codex",
  kind: "5h",
  used_percent: 42,
  left_percent: 58,
  resets_at: null,
  reset_since: false,
  level: "plenty",
  pace: null,
  credits: null,
  only: null,
  ...over,
});
const view = (over: Partial<DashboardView>): DashboardView => ({
  plan: "Plus",
  email: "dev@example.com",
  account_id: null,
  source: "api",
  observed_at: now.toISOString(),
  stale: false,
  show_as: "left",
  windows: [],
  credits: null,
  reset_credits: null,
  reset_credit_list: [],
  offer_reset_credit: false,
  notice: null,
  blocked: null,
  error: null,
  account: { id: "acct-1", label: "dev@example.com", is_default: true, command: null, has_home: true },
  others: [],
  ...over,
});

describe("dashboard state", () => {
  it("puts the main windows first and the other limits after", () => {
    const v = view({
      windows: [
        window({ title: "Code review weekly", limit: "code_review", kind: "weekly" }),
        window({}),
        window({ title: "Weekly", kind: "weekly" }),
        window({ title: "GPT-5.3-Codex-Spark 5-hour", limit: "gpt_5_3_codex_spark" }),
        window({ title: "Monthly credit limit", limit: "credit_pool", kind: "monthly" }),
      ],
    });
    const { main, extra } = splitWindows(v);
    expect(main.map((w) => w.title)).toEqual(["5-hour", "Weekly", "Monthly credit limit"]);
    expect(extra.map((w) => w.title)).toEqual(["Code review weekly", "GPT-5.3-Codex-Spark 5-hour"]);
    expect(splitWindows(null)).toEqual({ main: [], extra: [] });
  });

  it("shows what is left or what is used, by the setting", () => {
    const w = window({});
    expect(amount(view({}), w)).toEqual({ value: 58, text: "58% left", other: "42% used" });
    expect(amount(view({ show_as: "used" }), w)).toEqual({ value: 42, text: "42% used", other: "58% left" });
  });

  it("names the blocking window and when it frees", () => {
    const resets = new Date(2026, 10, 24, 9, 0, 0).toISOString();
    expect(blockedText({ lead: "Blocked by the weekly limit", resets_at: resets, tail: "" }, now)).toBe(
      "Blocked by the weekly limit until Tue 09:00 (in 1 d 23 h).",
    );
    expect(blockedText({ lead: "Blocked by the 5-hour limit", resets_at: null, tail: "" }, now)).toBe("Blocked by the 5-hour limit.");
    const tail = " — 2 reset credits available: using one resets this limit now";
    expect(blockedText({ lead: "Your workspace's monthly credit limit is reached", resets_at: resets, tail }, now)).toBe(
      `Your workspace's monthly credit limit is reached until Tue 09:00 (in 1 d 23 h)${tail}.`,
    );
    // A reset time already passed is not a countdown.
    expect(blockedText({ lead: "Blocked by the weekly limit", resets_at: new Date(2026, 10, 21).toISOString(), tail: "" }, now)).toBe(
      "Blocked by the weekly limit.",
    );
  });

  it("says why there is nothing to show", () => {
    expect(emptyText(null)).toBe("Loading…");
    expect(emptyText(view({}))).toBe("Looking for your Codex numbers…");
    expect(emptyText(view({ error: { short: "Offline", message: "…", action: "check-network", fix: "Check your network connection" } }))).toBeNull();
    expect(emptyText(view({ windows: [window({})] }))).toBeNull();
    const notice = "The service reported no usage windows for this account.";
    expect(emptyText(view({ notice }))).toBe(notice);
  });

  it("gives every account a card, the tray's first, and a switcher past three", () => {
    const other = (id: string) => view({ account: { id, label: `${id}@example.com`, is_default: false, command: null, has_home: true } });
    expect(cardsOf(null)).toEqual([]);
    const one = view({});
    expect(cardsOf(one)).toEqual([one]);
    const three = view({ others: [other("work"), other("col")] });
    expect(cardsOf(three).map((c) => c.account.id)).toEqual(["acct-1", "work", "col"]);
    expect(usesSwitcher(cardsOf(three))).toBe(false);
    expect(usesSwitcher(cardsOf(view({ others: [other("a"), other("b"), other("c")] })))).toBe(true);
  });

  it("never shows a reset that has passed as one to come", () => {
    const soon = new Date(now.getTime() + 2 * 3600_000 + 13 * 60_000).toISOString();
    expect(resetText(window({ resets_at: soon }), now)).toEqual({ text: "resets 12:13 · ", countdown: "in 2 h 13 m" });
    const passed = new Date(now.getTime() - 30 * 60_000).toISOString();
    expect(resetText(window({ resets_at: passed }), now)).toEqual({ text: "reset at 09:30", countdown: null });
    expect(resetText(window({ reset_since: true }), now)).toEqual({ text: "has reset since", countdown: null });
    expect(resetText(window({}), now)).toBeNull();
  });
});
