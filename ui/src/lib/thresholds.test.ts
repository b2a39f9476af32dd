import { describe, expect, it } from "vitest";
import { formatThresholds, parseThresholds } from "./thresholds";

describe("thresholds", () => {
  it("parses what a person types", () => {
    expect(parseThresholds("80, 95")).toEqual([80, 95]);
    expect(parseThresholds("95 80 80")).toEqual([80, 95]);
    expect(parseThresholds(" 100 ")).toEqual([100]);
  });
  it("refuses with a sentence", () => {
    expect(parseThresholds("")).toBe("Give at least one percentage.");
    expect(parseThresholds("0, 50")).toBe("Percentages go from 1 to 100.");
    expect(parseThresholds("80, 101")).toBe("Percentages go from 1 to 100.");
    expect(parseThresholds("eighty")).toBe("“eighty” is not a whole percentage.");
    expect(parseThresholds("80.5")).toBe("“80.5” is not a whole percentage.");
  });
  it("formats back", () => {
    expect(formatThresholds([80, 95])).toBe("80, 95");
  });
});
