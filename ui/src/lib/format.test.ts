import { describe, expect, it } from "vitest";
import { age, codeParts, countdown, duration, localClock } from "./format";

// Fixed local dates (the machine's zone, whatever it is), so local-time rules are tested as
// a person would read them.
const now = new Date(2026, 10, 22, 10, 0, 0); // Sun 22 Nov 2026, 10:00 local
const at = (d: number, h: number, m = 0) => new Date(2026, 10, d, h, m, 0).toISOString();

describe("duration and countdown", () => {
  it("reads like the tray menu", () => {
    expect(duration(133 * 60_000)).toBe("2 h 13 m");
    expect(duration(108 * 3600_000)).toBe("4 d 12 h");
    expect(duration(2 * 86400_000)).toBe("2 d");
    expect(duration(13 * 60_000)).toBe("13 m");
    expect(duration(45_000)).toBe("45 s");
    expect(duration(-5_000)).toBe("0 s");
  });
  it("counts down to a reset and stops at now", () => {
    expect(countdown(at(22, 12, 13), now)).toBe("in 2 h 13 m");
    expect(countdown(at(22, 9, 0), now)).toBe("now");
    expect(countdown(null, now)).toBeNull();
  });
});

describe("local clock", () => {
  it("shows the time alone today, the weekday within the week, the date beyond", () => {
    expect(localClock(at(22, 14, 20), now)).toBe("14:20");
    expect(localClock(at(24, 9, 0), now)).toBe("Tue 09:00");
    expect(localClock(at(30, 9, 0), now)).toBe("Mon 30 Nov 09:00");
    expect(localClock(new Date(2026, 11, 1, 9, 0).toISOString(), now)).toBe("Tue 1 Dec 09:00");
  });
});

describe("age", () => {
  it("says how fresh the numbers are", () => {
    expect(age(at(22, 10, 0), now)).toBe("just now");
    expect(age(at(22, 9, 58), now)).toBe("2 min ago");
    expect(age(at(22, 7, 0), now)).toBe("3 h ago");
    expect(age(at(19, 10, 0), now)).toBe("3 days ago");
  });
});

describe("commands in sentences", () => {
  it("are code, not raw backticks", () => {
    expect(codeParts("No Codex login — run `codex login` or paste a token")).toEqual([
      { text: "No Codex login — run ", code: false },
      { text: "codex login", code: true },
      { text: " or paste a token", code: false },
    ]);
    expect(codeParts("Offline")).toEqual([{ text: "Offline", code: false }]);
    expect(codeParts("a ` lone backtick")).toEqual([{ text: "a ` lone backtick", code: false }]);
  });
});

import { compactCount } from "./format";

describe("compact counts", () => {
  it("shorten thousands, millions and billions without trailing zeros", () => {
    expect(compactCount(950)).toBe("950");
    expect(compactCount(1_500)).toBe("1.5k");
    expect(compactCount(12_400)).toBe("12.4k");
    expect(compactCount(3_210_000)).toBe("3.21M");
    expect(compactCount(20_000_000)).toBe("20M");
    expect(compactCount(1_250_000_000)).toBe("1.25B");
  });
});
