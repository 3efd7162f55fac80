/**
 * Format the seconds left before the pending MFA request times out.
 * 245 → "4:05 left"; anything <= 0 → "expired". Fractions are rounded up
 * so the display never reads "0:00 left" while time remains.
 */
export function formatLeft(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "expired";
  const whole = Math.ceil(seconds);
  const m = Math.floor(whole / 60);
  const s = whole % 60;
  return `${m}:${String(s).padStart(2, "0")} left`;
}
