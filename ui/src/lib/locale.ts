// Some systems report a language no Intl API accepts (LANG=C gives "C"). Libraries that format
// numbers at load time (uPlot does) would then throw and leave the window blank, so such a
// language is replaced with en-US before anything else loads. Imported first by main.ts.

export function usableLanguage(language: string | undefined): string {
  try {
    new Intl.NumberFormat(language);
    return language || "en-US";
  } catch {
    return "en-US";
  }
}

if (typeof navigator !== "undefined" && usableLanguage(navigator.language) !== navigator.language) {
  Object.defineProperty(Navigator.prototype, "language", { get: () => "en-US", configurable: true });
}
