/**
 * Format the seconds left before the pending MFA request times out, for the dialog's
 * "Time left" line: an hour or more in hours and minutes (6980 → "1 h 56 min", 3600 → "1 h"),
 * less as minutes and seconds (260 → "4:20"); anything <= 0 → "expired". Fractions are rounded
 * up so the display never reads "0:00" while time remains.
 */
export function formatLeft(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "expired";
  const whole = Math.ceil(seconds);
  if (whole >= 3600) {
    const h = Math.floor(whole / 3600);
    const min = Math.floor((whole % 3600) / 60);
    return min === 0 ? `${h} h` : `${h} h ${min} min`;
  }
  const m = Math.floor(whole / 60);
  const s = whole % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}
