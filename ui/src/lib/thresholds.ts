// Thresholds as the settings window edits them: "80, 95" ⇄ [80, 95].

/** Parses "80, 95"; returns the list or a sentence saying what is wrong. */
export function parseThresholds(text: string): number[] | string {
  const parts = text.split(/[\s,;]+/).filter((p) => p.length > 0);
  if (parts.length === 0) return "Give at least one percentage.";
  const values: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part)) return `“${part}” is not a whole percentage.`;
    const n = Number(part);
    if (n < 1 || n > 100) return "Percentages go from 1 to 100.";
    values.push(n);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

export const formatThresholds = (values: number[]) => values.join(", ");
