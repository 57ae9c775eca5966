import { calendarDay } from '../calendar.js';
import type { BudgetLimit, Registry } from '../registry/schema.js';
import type { Store } from '../state/store.js';
import { addUsage, zeroUsage, type Usage } from '../state/types.js';
import { totalTokens } from '../agents/usage.js';

/**
 * Budgets: what one run, one brand per day and the whole workspace per day
 * may spend (`budget` in registry.json, on the workspace and on a brand).
 * The book counts what runs of this process spend while they run, so two
 * runs side by side cannot both spend the last dollar of a day.
 */

type Scope = { label: string; field: string; limit: BudgetLimit; spent: Usage };

function dollars(n: number): string {
  return `$${n
    .toFixed(n < 1 ? 4 : 2)
    .replace(/0+$/, '')
    .replace(/\.$/, '')}`;
}

/** The tighter of two limits, field by field. */
function tighter(a: BudgetLimit | undefined, b: BudgetLimit | undefined): BudgetLimit {
  const min = (x?: number, y?: number) => (x === undefined ? y : y === undefined ? x : Math.min(x, y));
  const cost = min(a?.maxCostUsd, b?.maxCostUsd);
  const tokens = min(a?.maxTokens, b?.maxTokens);
  return { ...(cost !== undefined ? { maxCostUsd: cost } : {}), ...(tokens !== undefined ? { maxTokens: tokens } : {}) };
}

/** What one run of the brand may spend: the tighter of the workspace's and the brand's `budget.run`. */
export function runLimit(registry: Registry, brand: string): BudgetLimit {
  return tighter(registry.budget?.run, registry.brands.find((b) => b.id === brand)?.budget?.run);
}

/** Whether the registry sets any budget at all (nothing to check otherwise). */
export function hasBudgets(registry: Registry): boolean {
  return !!registry.budget || registry.brands.some((b) => b.budget);
}

/** What the brand (or, without one, every brand) spent on the day, from the recorded usage. */
export function spentOn(store: Store, day: string, brand?: string): Usage {
  let sum = zeroUsage();
  for (const [key, usage] of Object.entries(store.state.usage.byBrandDay)) {
    const slash = key.lastIndexOf('/');
    if (key.slice(slash + 1) !== day) continue;
    if (brand !== undefined && key.slice(0, slash) !== brand) continue;
    sum = addUsage(sum, usage);
  }
  return sum;
}

/** One run's budget: asked before every model turn with what the run spent so far. */
export interface RunBudget {
  /** Why the run must stop now, or null while it may go on. */
  exceeded(usage: Usage): string | null;
  /** The run's usage was recorded (or it ended): stop counting it as in flight. */
  done(): void;
}

export class BudgetBook {
  private readonly inFlight = new Map<string, { brand: string; usage: Usage }>();

  constructor(private readonly ws: { registry: Registry; store: Store }) {}

  private today(): string {
    return calendarDay(this.ws.store.clock(), this.ws.registry.timezone);
  }

  /** The brand's and the workspace's daily scopes with what they spent (recorded plus in flight, except `skipRun`). */
  private dayScopes(brand: string, skipRun?: string): Scope[] {
    const day = this.today();
    const flying = (only?: string) => {
      let sum = zeroUsage();
      for (const [run, entry] of this.inFlight) if (run !== skipRun && (only === undefined || entry.brand === only)) sum = addUsage(sum, entry.usage);
      return sum;
    };
    const scopes: Scope[] = [];
    const brandLimit = this.ws.registry.brands.find((b) => b.id === brand)?.budget?.day;
    if (brandLimit) {
      scopes.push({ label: `brand ${brand}`, field: `brands[${brand}].budget.day`, limit: brandLimit, spent: addUsage(spentOn(this.ws.store, day, brand), flying(brand)) });
    }
    const workspaceLimit = this.ws.registry.budget?.day;
    if (workspaceLimit) {
      scopes.push({ label: 'the workspace', field: 'budget.day', limit: workspaceLimit, spent: addUsage(spentOn(this.ws.store, day), flying()) });
    }
    return scopes;
  }

  /**
   * Why a new run of the brand may not start, or null: a daily budget with
   * nothing left, or with less left than one run may spend (`budget.run`).
   */
  refusal(brand: string): string | null {
    const run = runLimit(this.ws.registry, brand);
    for (const scope of this.dayScopes(brand)) {
      const { maxCostUsd, maxTokens } = scope.limit;
      if (maxCostUsd !== undefined) {
        const left = maxCostUsd - scope.spent.costUsd;
        const need = run.maxCostUsd ?? 0;
        if (left <= 0 || left < need) {
          return `${scope.label} has ${dollars(Math.max(0, left))} of its ${dollars(maxCostUsd)} daily budget left (${scope.field}.maxCostUsd)${need > 0 ? `, less than one run may cost (${dollars(need)}, budget.run.maxCostUsd)` : ''}; agent runs of brand ${brand} wait for the next day (${this.ws.registry.timezone}) or a higher limit in registry.json`;
        }
      }
      if (maxTokens !== undefined) {
        const left = maxTokens - totalTokens(scope.spent);
        const need = run.maxTokens ?? 0;
        if (left <= 0 || left < need) {
          return `${scope.label} has ${Math.max(0, left)} of its ${maxTokens} daily tokens left (${scope.field}.maxTokens)${need > 0 ? `, fewer than one run may use (${need}, budget.run.maxTokens)` : ''}; agent runs of brand ${brand} wait for the next day (${this.ws.registry.timezone}) or a higher limit in registry.json`;
        }
      }
    }
    return null;
  }

  /** Starts counting a run: its own limit and the daily ones, checked with its live usage. */
  open(runId: string, brand: string): RunBudget {
    const run = runLimit(this.ws.registry, brand);
    this.inFlight.set(runId, { brand, usage: zeroUsage() });
    return {
      exceeded: (usage) => {
        if (this.inFlight.has(runId)) this.inFlight.set(runId, { brand, usage });
        if (run.maxCostUsd !== undefined && usage.costUsd >= run.maxCostUsd) {
          return `the run spent ${dollars(usage.costUsd)}, its limit is ${dollars(run.maxCostUsd)} (budget.run.maxCostUsd)`;
        }
        const tokens = totalTokens(usage);
        if (run.maxTokens !== undefined && tokens >= run.maxTokens) {
          return `the run used ${tokens} tokens, its limit is ${run.maxTokens} (budget.run.maxTokens)`;
        }
        for (const scope of this.dayScopes(brand, runId)) {
          const spent = addUsage(scope.spent, usage);
          if (scope.limit.maxCostUsd !== undefined && spent.costUsd >= scope.limit.maxCostUsd) {
            return `${scope.label} reached its daily budget (${dollars(spent.costUsd)} of ${dollars(scope.limit.maxCostUsd)}, ${scope.field}.maxCostUsd)`;
          }
          if (scope.limit.maxTokens !== undefined && totalTokens(spent) >= scope.limit.maxTokens) {
            return `${scope.label} reached its daily token budget (${totalTokens(spent)} of ${scope.limit.maxTokens}, ${scope.field}.maxTokens)`;
          }
        }
        return null;
      },
      done: () => {
        this.inFlight.delete(runId);
      },
    };
  }
}
