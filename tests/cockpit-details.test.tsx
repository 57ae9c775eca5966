import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { TicketDetails } from '../components/TicketDetails.js';
import type { CheckEvidence, Question, Ticket } from '../src/state/types.js';

function ticket(fields: Partial<Ticket>): Ticket {
  return {
    id: 'T-4',
    brand: 'alpha',
    repo: 'alpha-app',
    title: 'Add a note',
    body: '',
    acceptance: [],
    kind: 'script',
    run: [],
    priority: 'p2',
    state: 'review',
    history: [],
    runs: [],
    gate: null,
    feedback: [],
    createdAt: '',
    updatedAt: '',
    ...fields,
  };
}
const check = (name: string, exitCode: number, outputTail: string): CheckEvidence => ({ name, command: `run ${name}`, exitCode, durationMs: 1200, outputTail });

describe("the cockpit's ticket detail says why a ticket waits", () => {
  it('a ticket the gate holds: the reason right under the title, and the checks that ran with their output', () => {
    const held = ticket({ hold: { kind: 'gate', reason: 'the verifier could not finish (the verifier ended without calling Verdict)', at: '', checks: [check('test', 0, '# pass 3\n# fail 0')] } });
    const frame = render(<TicketDetails ticket={held} height={30} />).lastFrame() ?? '';
    const lines = frame.split('\n');
    expect(lines[1]).toContain('waiting: waits in review: the verifier could not finish');
    expect(frame).toContain('test exit 0 1.2s');
    expect(frame).toContain('# fail 0');
  });

  it('a ticket the doctor holds: the grade and what fails, right under the title', () => {
    const held = ticket({ hold: { kind: 'doctor', reason: 'the doctor grades B 24/25 (deny-rules is missing); `master doctor` shows what to fix', at: '' } });
    const lines = (render(<TicketDetails ticket={held} height={30} />).lastFrame() ?? '').split('\n');
    expect(lines[1]).toContain('waiting: waits in review: the doctor grades B 24/25');
  });

  it('a blocked ticket names its question and how to answer; a rejected one says the verifier and the doctor did not run', () => {
    const question: Question = { id: 'Q-2', kind: 'agent', ticket: 'T-4', brand: 'alpha', text: 'Which file?', askedAt: '', askedBy: 'executor' } as Question;
    const blocked = render(<TicketDetails ticket={ticket({ state: 'blocked' })} height={30} questions={[question]} />).lastFrame() ?? '';
    expect(blocked).toContain('waiting: waits for your answer to Q-2: Which file? (`master answer Q-2 TEXT`)');

    const rejected = ticket({
      state: 'rejected',
      history: [{ at: '', from: 'review', to: 'rejected', event: 'reject', by: 'gate', note: 'checks failed: lint' }],
      gate: {
        baseSha: 'a'.repeat(40),
        candidateSha: 'b'.repeat(40),
        checks: [check('lint', 1, 'lint: debug print in src/a.js')],
        verdict: { verdict: 'fail', reasons: ['failed checks: lint'], mode: 'agent' },
        doctor: { grade: '-', passed: 0, total: 0 },
        startedAt: '',
        finishedAt: '',
      },
    });
    const frame = render(<TicketDetails ticket={rejected} height={40} />).lastFrame() ?? '';
    expect(frame).toContain('rejected by the merge gate: checks failed: lint');
    expect(frame).toContain('lint exit 1');
    expect(frame).toContain('lint: debug print in src/a.js');
    expect(frame).toContain('verifier: not run (a check failed)');
    expect(frame).toContain('doctor: not run (a check failed)');
  });
});
