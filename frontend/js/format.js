// Dates, money and numbers the way people here read them. Times are shown in
// Viet Nam's time (Asia/Ho_Chi_Minh, UTC+7 all year, no daylight saving).

import { getLang, t } from './i18n.js';

export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const OFFSET_MS = 7 * 3600 * 1000;

function locale() {
  return getLang() === 'vi' ? 'vi-VN' : 'en-GB';
}

function parse(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "17:00, Thứ Ba, 1 tháng 12, 2026" / "Tuesday, 1 December 2026 at 17:00". */
export function formatDateTime(iso) {
  const d = parse(iso);
  if (!d) return '';
  const date = new Intl.DateTimeFormat(locale(), {
    timeZone: TIME_ZONE, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
  }).format(d);
  const time = new Intl.DateTimeFormat(locale(), {
    timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(d);
  return t('format.dateTime', { date, time });
}

/** "1 tháng 12, 2026" / "1 December 2026". */
export function formatDate(iso) {
  const d = parse(iso);
  if (!d) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, day: 'numeric', month: 'long', year: 'numeric' }).format(d);
}

/** "10:32" (Viet Nam time). */
export function formatTime(iso) {
  const d = parse(iso);
  if (!d) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

/** 15000000 -> "15.000.000" (vi) / "15,000,000" (en). */
export function formatInt(n) {
  if (n === null || n === undefined || n === '' || !Number.isFinite(Number(n))) return '';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(Number(n));
}

/** A number with up to digits decimals: 1.5 -> "1,5" (vi) / "1.5" (en). */
export function formatNumber(n, digits = 3) {
  if (n === null || n === undefined || n === '' || !Number.isFinite(Number(n))) return '';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(Number(n));
}

/** 15000000 -> "15.000.000 đồng" / "15,000,000 VND". */
export function formatVnd(n) {
  const s = formatInt(n);
  return s === '' ? '' : t('format.vnd', { amount: s });
}

/** The digits of what was typed ("15.000.000 đ" -> "15000000"); "" when none. */
export function digitsOf(text) {
  return String(text || '').replace(/\D+/g, '');
}

/** A whole number from typed text, or null when there are no digits. Leading zeros dropped. */
export function parseInteger(text) {
  const d = digitsOf(text).replace(/^0+(?=\d)/, '');
  if (d === '') return null;
  return d.length > 15 ? Number.POSITIVE_INFINITY : Number(d);
}

const pad = (n) => String(n).padStart(2, '0');

/** A UTC ISO time -> the value of an <input type="datetime-local"> in Viet Nam time ("2026-12-01T17:00"). */
export function isoToLocalInput(iso) {
  const d = parse(iso);
  if (!d) return '';
  const v = new Date(d.getTime() + OFFSET_MS);
  return `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}T${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}`;
}

/** "2026-12-01T17:00" (Viet Nam time, from a datetime-local input) -> "2026-12-01T17:00:00+07:00"; null if malformed. */
export function localInputToIso(value) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(String(value || ''));
  if (!m) return null;
  return `${m[1]}T${m[2]}:${m[3]}:${m[4] || '00'}+07:00`;
}

/** Milliseconds since the epoch of a datetime-local value read as Viet Nam time, or NaN. */
export function localInputToMs(value) {
  const iso = localInputToIso(value);
  return iso ? new Date(iso).getTime() : Number.NaN;
}

/** A tracking code as typed ("hc 2026 0042", "hc-2026-42") -> "HC-2026-0042" where it can tell. */
export function normalizeTrackingCode(text) {
  const s = String(text || '').trim().toUpperCase().replace(/[\s_.–—]+/g, '-').replace(/-+/g, '-');
  const m = /^([A-Z0-9]+)-?(\d{4})-?(\d+)$/.exec(s);
  if (m && m[1].length >= 2 && /[A-Z]/.test(m[1])) return `${m[1]}-${m[2]}-${m[3].padStart(4, '0')}`;
  return s;
}

/** File size for people: "2,4 MB", "800 KB". */
export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  const nf = (v, digits) => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(v);
  if (n >= 1024 * 1024) return `${nf(n / (1024 * 1024), 1)} MB`;
  return `${nf(Math.max(1, Math.round(n / 1024)), 0)} KB`;
}
