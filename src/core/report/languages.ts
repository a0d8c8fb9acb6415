/** The languages a lab report is written in (no node, no DOM: the protocol's validators use it). */
export const REPORT_LANGUAGES = ['en', 'zh-cn'] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

export function isReportLanguage(v: unknown): v is ReportLanguage {
  return typeof v === 'string' && (REPORT_LANGUAGES as readonly string[]).includes(v);
}
