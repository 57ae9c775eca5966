import type { Store } from '../state/store.js';
import { zeroUsage, type Usage } from '../state/types.js';
import { calendarDay } from '../calendar.js';

/** Dollars per million tokens: input, output, cache write, cache read. */
interface Price {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

// List prices by model family; a model not listed is costed as Sonnet, the default.
const PRICES: Array<[RegExp, Price]> = [
  [/opus-4-[5-9]|opus-[5-9]/, { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 }],
  [/opus/, { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 }],
  [/haiku-4|haiku-[5-9]/, { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 }],
  [/haiku/, { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 }],
  [/sonnet|.*/, { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
];

/** What a response's usage costs with this model; the scripted demo model costs nothing. */
export function usageFromResponse(
  raw: { input_tokens?: number | null; output_tokens?: number | null; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null },
  model: string,
  provider: 'anthropic' | 'scripted',
): Usage {
  const usage: Usage = {
    input: raw.input_tokens ?? 0,
    output: raw.output_tokens ?? 0,
    cacheRead: raw.cache_read_input_tokens ?? 0,
    cacheWrite: raw.cache_creation_input_tokens ?? 0,
    costUsd: 0,
  };
  if (provider === 'anthropic') {
    const price = PRICES.find(([pattern]) => pattern.test(model))![1];
    const cost = (usage.input * price.input + usage.output * price.output + usage.cacheWrite * price.cacheWrite + usage.cacheRead * price.cacheRead) / 1e6;
    usage.costUsd = Math.round(cost * 1e6) / 1e6;
  }
  return usage;
}

/** Every token a run counted against its contract's `maxTokens`. */
export function totalTokens(usage: Usage): number {
  return usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
}

/** Records a run's usage (per brand per day in the state; per run and ticket on the ticket's runs). */
export function recordUsage(store: Store, entry: { ticket: string; brand: string; run: string; usage: Usage; timeZone: string; executor?: 'sdk' | 'claude-code'; estimate?: boolean }): void {
  if (sameAsZero(entry.usage)) return;
  store.record({
    type: 'usage.recorded',
    ticket: entry.ticket,
    brand: entry.brand,
    run: entry.run,
    // The workspace's calendar day, the same the report and the cadence count by.
    day: calendarDay(store.clock(), entry.timeZone),
    usage: entry.usage,
    ...(entry.executor && entry.executor !== 'sdk' ? { executor: entry.executor } : {}),
    ...(entry.estimate ? { estimate: true } : {}),
  });
}

function sameAsZero(usage: Usage): boolean {
  const zero = zeroUsage();
  return (Object.keys(zero) as Array<keyof Usage>).every((k) => usage[k] === zero[k]);
}
