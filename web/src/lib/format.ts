import type { CatalogModel } from '../api/types.js';

/** Number formatting shared by the panels: one place decides how the lab shows a value. */

/** A model price per token (string or number) → USD per 1M tokens, or null when unknown. */
export function pricePerMillion(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const perToken = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(perToken) || perToken < 0) return null;
  return perToken * 1e6;
}

function usd(value: number): string {
  if (value === 0) return '$0';
  if (value >= 100) return `$${value.toFixed(0)}`;
  if (value >= 0.01) return `$${value.toFixed(2)}`;
  return `$${Number(value.toPrecision(3))}`;
}

/** "$0.15 / $0.60 per 1M" or "unpriced". */
export function formatModelPrice(model: CatalogModel): string {
  const input = pricePerMillion(model.pricing?.prompt);
  const output = pricePerMillion(model.pricing?.completion);
  if (input === null && output === null) return 'unpriced';
  return `${input === null ? '?' : usd(input)} / ${output === null ? '?' : usd(output)} per 1M`;
}

/** Context length as "128k" / "8,192". */
export function formatContext(tokens: number | null | undefined): string {
  if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens <= 0) return '—';
  if (tokens >= 1000 && tokens % 1000 === 0) return `${tokens / 1000}k`;
  if (tokens >= 10_000) return `${Math.round(tokens / 1024)}k`;
  return tokens.toLocaleString('en-US');
}

/** A run's cost: "$0.000123" or "unpriced" when the lab knows no price. */
export function formatCost(cost: number | null | undefined): string {
  if (cost === null || cost === undefined || !Number.isFinite(cost)) return 'unpriced';
  if (cost === 0) return '$0';
  if (cost >= 0.01) return `$${cost.toFixed(4)}`;
  return `$${Number(cost.toPrecision(3)).toFixed(Math.min(10, 2 - Math.floor(Math.log10(cost))))}`;
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function formatNumber(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(digits);
}

/** "HH:MM" local time of an ISO timestamp, or '' when unreadable. */
export function formatClock(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** A short local date-time for tables. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (part: number): string => String(part).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
