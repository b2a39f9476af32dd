import { describe, expect, it } from "vitest";
import { colour, columns } from "./chart";
import type { ChartSeries, WindowKind } from "./types";

const series = (window: WindowKind, points: [number, number][]): ChartSeries => ({
  title: window,
  limit: "codex",
  window,
  points,
  resets: [],
});

describe("chart columns", () => {
  it("share one sorted time axis with gaps as null", () => {
    const data = columns([series("5h", [[30, 50], [10, 20]]), series("weekly", [[20, 5], [30, 6]])]);
    expect(data[0]).toEqual([10, 20, 30]);
    expect(data[1]).toEqual([20, null, 50]);
    expect(data[2]).toEqual([null, 5, 6]);
  });

  it("are empty without samples and give each main window its colour", () => {
    expect(columns([])).toEqual([[]]);
    expect(colour(series("5h", []), 0)).not.toEqual(colour(series("weekly", []), 1));
  });

  it("give every series a colour of its own, past any palette's length", () => {
    const all = [series("5h", []), series("weekly", [])];
    for (let i = 0; i < 14; i++) all.push({ ...series("5h", []), limit: `feature_${i}` });
    const colours = all.map((s, i) => colour(s, i));
    expect(new Set(colours).size).toBe(all.length);
  });
});

import { usableLanguage } from "./locale";

describe("usable language", () => {
  it("replaces one Intl refuses (LANG=C) and keeps a real one", () => {
    expect(usableLanguage("C")).toBe("en-US");
    expect(usableLanguage("de-DE")).toBe("de-DE");
    expect(usableLanguage(undefined)).toBe("en-US");
  });
});
