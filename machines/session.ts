import { assign, fromPromise, setup, type AnyStateNodeConfig } from 'xstate';

/** The phases of one session, in order. */
export const SESSION_PHASES = ['scout', 'distill', 'interview', 'dispatch', 'merge', 'report'] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

export interface PhaseDecision {
  run: boolean;
  reason: string;
}

export interface PhaseResult {
  ok: boolean;
  summary: string;
  result?: unknown;
}

export interface SessionInput {
  /** Run this phase only (`--only`). */
  only?: SessionPhase;
  /** Run these even when their cadence says skip (`--force`). */
  force?: SessionPhase[];
}

export interface SessionContext {
  only: SessionPhase | null;
  force: SessionPhase[];
  /** Phases that could not complete, with why. */
  failures: Array<{ phase: SessionPhase; error: string }>;
  outcomes: Partial<Record<SessionPhase, 'ran' | 'skipped' | 'failed'>>;
}

type PhaseInput = { phase: SessionPhase };

/**
 * The session loop: scout → distill → interview → dispatch → merge → report.
 * Each phase first asks its cadence (`decide`), then does its work (`work`);
 * both are actors, and every announcement is an action, provided by
 * `src/loop` — this machine only decides the order and what is skipped.
 */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    input: {} as SessionInput,
  },
  actors: {
    decide: fromPromise<PhaseDecision, PhaseInput>(async () => {
      throw new Error('decide is provided by src/loop');
    }),
    work: fromPromise<PhaseResult, PhaseInput>(async () => {
      throw new Error('work is provided by src/loop');
    }),
  },
  actions: {
    announceSessionStart: () => {},
    announceSessionEnd: (_, _params: { outcome: 'ok' | 'failed' }) => {},
    announceSkip: (_, _params: { phase: SessionPhase; reason: string }) => {},
    announceStart: (_, _params: { phase: SessionPhase; reason: string }) => {},
    announceEnd: (_, _params: { phase: SessionPhase; result: PhaseResult }) => {},
    announceFailure: (_, _params: { phase: SessionPhase; error: string }) => {},
  },
  guards: {
    notSelected: ({ context }, params: PhaseInput) => context.only !== null && context.only !== params.phase,
    forced: ({ context }, params: PhaseInput) => context.only === params.phase || context.force.includes(params.phase),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({ only: input.only ?? null, force: input.force ?? [], failures: [], outcomes: {} }),
  initial: SESSION_PHASES[0],
  entry: 'announceSessionStart',
  states: {
    ...Object.fromEntries(
      SESSION_PHASES.map((phase, index) => {
        const next = SESSION_PHASES[index + 1] ?? 'done';
        const skipped = (reason: string | ((args: { event: { output: PhaseDecision } }) => string)) => ({
          target: `#session.${next}`,
          actions: [
            {
              type: 'announceSkip' as const,
              params: (args: { event: { output: PhaseDecision } }) => ({
                phase,
                reason: typeof reason === 'string' ? reason : reason(args),
              }),
            },
            assign({ outcomes: ({ context }) => ({ ...context.outcomes, [phase]: 'skipped' }) }),
          ],
        });
        // Deciding or working threw: the phase could not complete; the session goes on to the next.
        const failed = {
          target: `#session.${next}`,
          actions: [
            {
              type: 'announceFailure' as const,
              params: ({ event }: { event: { error: unknown } }) => ({ phase, error: describe(event.error) }),
            },
            assign({
              failures: ({ context, event }) => [...context.failures, { phase, error: describe(event.error) }],
              outcomes: ({ context }) => ({ ...context.outcomes, [phase]: 'failed' }),
            }),
          ],
        };
        const state: AnyStateNodeConfig = {
          initial: 'choosing',
          states: {
            choosing: {
              always: [
                {
                  guard: { type: 'notSelected', params: { phase } },
                  ...skipped(`skip ${phase}: not selected (--only ran another phase)`),
                },
                {
                  guard: { type: 'forced', params: { phase } },
                  target: 'working',
                  actions: { type: 'announceStart', params: { phase, reason: `${phase}: forced` } },
                },
                { target: 'deciding' },
              ],
            },
            deciding: {
              invoke: {
                src: 'decide',
                input: { phase },
                onDone: [
                  {
                    guard: ({ event }: { event: { output: PhaseDecision } }) => event.output.run,
                    target: 'working',
                    actions: {
                      type: 'announceStart',
                      params: ({ event }: { event: { output: PhaseDecision } }) => ({ phase, reason: event.output.reason }),
                    },
                  },
                  skipped(({ event }) => event.output.reason),
                ],
                onError: failed,
              },
            },
            working: {
              invoke: {
                src: 'work',
                input: { phase },
                onDone: {
                  target: `#session.${next}`,
                  actions: [
                    {
                      type: 'announceEnd',
                      params: ({ event }: { event: { output: PhaseResult } }) => ({ phase, result: event.output }),
                    },
                    assign({
                      outcomes: ({ context, event }) => ({ ...context.outcomes, [phase]: event.output.ok ? 'ran' : 'failed' }),
                      failures: ({ context, event }) => (event.output.ok ? context.failures : [...context.failures, { phase, error: event.output.summary }]),
                    }),
                  ],
                },
                onError: failed,
              },
            },
          },
        };
        return [phase, state];
      }),
    ),
    done: {
      type: 'final',
      entry: {
        type: 'announceSessionEnd',
        params: ({ context }) => ({ outcome: context.failures.length ? 'failed' : 'ok' }),
      },
    },
  },
});

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
