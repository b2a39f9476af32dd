// Times and numbers the way a person reads them, matching the tray menu's wording.

/** A compact duration: "2 h 13 m", "4 d 12 h", "13 m", "45 s". */
export function duration(ms: number): string {
  const secs = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(secs / 86400);
  const hours = Math.floor(secs / 3600) % 24;
  const minutes = Math.floor(secs / 60) % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} m` : `${hours} h`;
  if (minutes > 0) return `${minutes} m`;
  return `${secs} s`;
}

/** Until a reset: "in 2 h 13 m", or "now" once it has passed. */
export function countdown(resetsAt: string | null, now: Date): string | null {
  if (!resetsAt) return null;
  const ms = new Date(resetsAt).getTime() - now.getTime();
  return ms > 0 ? `in ${duration(ms)}` : "now";
}

const pad = (n: number) => String(n).padStart(2, "0");
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A moment in local time: "14:20" within the day, "Tue 09:00" within the week, "Tue 1 Dec 09:00" beyond. */
export function localClock(at: string, now: Date): string {
  const t = new Date(at);
  const ahead = t.getTime() - now.getTime();
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  const sameDay = t.toDateString() === now.toDateString();
  if (sameDay || Math.abs(ahead) < 12 * 3600_000) return time;
  if (Math.abs(ahead) < 6 * 86400_000) return `${WEEKDAYS[t.getDay()]} ${time}`;
  return `${WEEKDAYS[t.getDay()]} ${t.getDate()} ${MONTHS[t.getMonth()]} ${time}`;
}

/** How long ago: "just now", "2 min ago", "3 h ago", "2 days ago". */
export function age(at: string, now: Date): string {
  const secs = Math.floor((now.getTime() - new Date(at).getTime()) / 1000);
  if (secs < 60) return "just now";
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ago`;
  if (secs < 2 * 86400) return "1 day ago";
  return `${Math.floor(secs / 86400)} days ago`;
}

/** The sentence that goes with an error's action button. */
/** A sentence in parts, its `commands` marked as code: the dashboard shows them as code, not
 * as raw backticks. */
export function codeParts(text: string): { text: string; code: boolean }[] {
  return text
    .split(/(`[^`]+`)/)
    .filter((part) => part !== "")
    .map((part) =>
      part.length > 2 && part.startsWith("`") && part.endsWith("`")
        ? { text: part.slice(1, -1), code: true }
        : { text: part, code: false },
    );
}

/** 950 → "950", 12 400 → "12.4k", 3 210 000 → "3.21M": token counts that fit a narrow table. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1).replace(/\.?0+$/, "")}k`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1).replace(/\.?0+$/, "")}M`;
  return `${(n / 1_000_000_000).toFixed(2).replace(/\.?0+$/, "")}B`;
}
