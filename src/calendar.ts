/** Calendar helpers in the workspace's time zone: the cadence decides by its days, not UTC's. */

/** `YYYY-MM-DD` of an instant in a time zone. */
export function calendarDay(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** `HH:MM` of an instant in a time zone, for reasons a person reads. */
export function clockTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(at);
}

/** `HH:MM` when the instant is today, else `YYYY-MM-DD HH:MM`. */
export function humanTime(at: Date, now: Date, timeZone: string): string {
  const day = calendarDay(at, timeZone);
  return day === calendarDay(now, timeZone) ? clockTime(at, timeZone) : `${day} ${clockTime(at, timeZone)}`;
}
