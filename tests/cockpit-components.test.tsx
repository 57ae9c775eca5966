import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { BrandPanes } from '../components/BrandPanes.js';
import { Footer } from '../components/Footer.js';
import { GateBar } from '../components/GateBar.js';
import { Header } from '../components/Header.js';
import { Help } from '../components/Help.js';
import { Transcript } from '../components/Transcript.js';
import { TriageTable } from '../components/TriageTable.js';
import { filterTickets } from '../components/triage.js';
import type { BrandView, GateRow, PhaseView } from '../src/cockpit/model.js';
import type { Ticket } from '../src/state/types.js';
import { mountCockpit } from './helpers/cockpit.js';
import { makeWorkspace } from './helpers/workspace.js';

const phases: PhaseView[] = [
  { name: 'scout', status: 'done' },
  { name: 'distill', status: 'skipped', reason: 'skip distill: nothing merged since the last one' },
  { name: 'interview', status: 'done' },
  { name: 'dispatch', status: 'running' },
  { name: 'merge', status: 'waiting' },
  { name: 'report', status: 'waiting' },
];

function ticket(id: string, brand: string, state: Ticket['state'], title: string): Ticket {
  return {
    id,
    brand,
    repo: `${brand}-app`,
    title,
    body: '',
    acceptance: [],
    kind: 'agent',
    run: [],
    priority: 'p2',
    state,
    history: [],
    runs: [],
    gate: null,
    feedback: [],
    createdAt: '',
    updatedAt: '',
  };
}

let cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe('cockpit components', () => {
  it('Header: workspace, session, phases with state, the grade with a sandbox mark, today’s usage; a focused skip shows its reason', () => {
    const { lastFrame } = render(
      <Header
        snapshot={{
          workspace: 'demo',
          sessionId: 'S-4',
          phases,
          doctor: { grade: 'A', passed: 20, total: 20, warnings: ['sandbox'] },
          sandboxWarning: true,
          today: { tokens: 12345, costUsd: 0.42 },
          passRunning: true,
        }}
        focusedPhase="distill"
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('master demo · S-4');
    expect(frame).toContain('doctor A 20/20');
    expect(frame).toContain('⚠ sandbox');
    expect(frame).toContain('today 12,345 tok $0.42');
    expect(frame).toMatch(/✓ scout\s+– distill\s+✓ interview\s+▶ dispatch\s+· merge/);
    expect(frame).toContain('distill: skip distill: nothing merged since the last one');
  });

  // One fixed moment for the fixture and the render: the elapsed time shown is exact, however slow the machine.
  const NOW = Date.parse('2026-03-10T12:00:00Z');
  const brands: BrandView[] = [
    {
      id: 'alpha',
      name: 'Alpha',
      silo: false,
      queue: 2,
      latest: [{ id: 'T-3', state: 'running' }],
      running: [
        {
          ticket: 'T-3',
          title: 'Fix the parser',
          turn: 4,
          maxTurns: 60,
          startedAt: new Date(NOW - 65_000).toISOString(),
          lastTool: { tool: 'Bash', summary: 'npm test', verdict: 'refused', by: 'pre-merge-gate' },
          textTail: 'Running the tests now.',
        },
      ],
    },
    { id: 'vault', name: 'Vault', silo: true, queue: 0, latest: [{ id: 'T-1', state: 'merged' }], running: [] },
  ];

  it('BrandPanes: a grid of panes with the running ticket, turn, last tool and verdict, text tail, queue and silo lock', () => {
    const { lastFrame } = render(<BrandPanes brands={brands} focus={0} columns={200} compact={false} now={NOW} />);
    const frame = lastFrame()!;
    expect(frame).toContain('1 Alpha queue 2');
    expect(frame).toContain('▶ T-3 Fix the parser');
    expect(frame).toContain('turn 4/60 · 1m05s refused Bash npm test');
    expect(frame).toContain('Running the tests now.');
    expect(frame).toContain('2 Vault 🔒 queue 0');
    expect(frame).toContain('T-1 merged');
    expect(frame).toContain('╭');
  });

  it('BrandPanes: compact, one line per brand', () => {
    const { lastFrame } = render(<BrandPanes brands={brands} focus={1} columns={80} compact now={NOW} />);
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/1 Alpha .* q2 ▶ T-3 t4 Bash refused/);
    expect(lines[1]).toMatch(/2 Vault .*🔒 q0 T-1 merged/);
    expect(lastFrame()).not.toContain('╭');
  });

  it('GateBar: each step with status and time; a failure names the failing check', () => {
    const rows: GateRow[] = [
      {
        ticket: 'T-7',
        brand: 'alpha',
        repo: 'alpha-app',
        candidate: 'abc1234567',
        finished: null,
        steps: [
          { step: 'candidate', status: 'pass' },
          { step: 'check', name: 'test', status: 'pass', ms: 2100 },
          { step: 'check', name: 'lint', status: 'running' },
        ],
      },
      {
        ticket: 'T-8',
        brand: 'alpha',
        repo: 'alpha-app',
        finished: 'failed',
        steps: [
          { step: 'candidate', status: 'pass' },
          { step: 'check', name: 'typecheck', status: 'fail', ms: 900, reason: 'exit 2' },
        ],
      },
    ];
    const frame = render(<GateBar rows={rows} max={4} />).lastFrame()!;
    expect(frame).toContain('T-7 lint… alpha-app@abc1234567 candidate✓ test✓ 2.1s lint…');
    expect(frame).toContain('T-8 failed alpha-app candidate✓ typecheck✗ 0.9s');
    expect(frame).toContain('failed: typecheck — exit 2');
  });

  it('Footer: keys that work now, a disabled one with its reason kept for the press', () => {
    const frame = render(<Footer offers={[{ id: 'filter' }, { id: 'retry', disabled: 'the ticket is ready' }]} message="retry: the ticket is ready" />).lastFrame()!;
    expect(frame).toContain('/ filter');
    expect(frame).toContain('r retry');
    expect(frame).toContain('retry: the ticket is ready');
  });

  it('Help lists every key; the triage table and its filter; the transcript shows the newest lines that fit', () => {
    expect(render(<Help />).lastFrame()).toMatch(/space\s+the main action of the ticket's state/);
    const tickets = [ticket('T-1', 'alpha', 'triage', 'One'), ticket('T-2', 'beta', 'failed', 'Two'), ticket('T-3', 'beta', 'ready', 'Three')];
    expect(filterTickets(tickets, 'beta').map((t) => t.id)).toEqual(['T-2', 'T-3']);
    expect(filterTickets(tickets, 'state:failed').map((t) => t.id)).toEqual(['T-2']);
    expect(filterTickets(tickets, 'thr').map((t) => t.id)).toEqual(['T-3']);
    const table = render(<TriageTable tickets={tickets} cursor={1} filter="" filtering={false} height={10} />).lastFrame()!;
    expect(table).toMatch(/T-2\s+failed\s+p2 beta\s+Two/);
    const lines = Array.from({ length: 50 }, (_, i) => ({ seq: i, kind: 'tool' as const, text: `Read file${i}` }));
    const transcript = render(<Transcript ticket="T-2" lines={lines} height={5} />).lastFrame()!;
    expect(transcript).toContain('transcript T-2 (50 lines)');
    expect(transcript).toContain('Read file49');
    expect(transcript).not.toContain('Read file44');
  });

  it('at 80×24 the whole cockpit fits: panes collapse to a list, nothing runs past the last row', async () => {
    const home = makeWorkspace({
      brands: ['alpha', 'beta', 'gamma', 'delta', 'epsilon'].map((id) => ({ id, name: id[0]!.toUpperCase() + id.slice(1), repos: [{ id: `${id}-app`, path: `repos/${id}-app` }] })),
    });
    const small = await mountCockpit(home, {}, { columns: 80, rows: 24 });
    cleanup.push(small.close);
    small.ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Approve me' });
    await small.waitFor('approve T-1');
    const frame = small.frame().split('\n');
    expect(frame.length).toBeLessThanOrEqual(24);
    expect(Math.max(...frame.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(small.frame()).not.toContain('╭');
    expect(small.frame()).toMatch(/1 Alpha/);
    expect(frame.slice(-2).join(' ')).toContain('q quit');

    const large = await mountCockpit(home, {}, { columns: 160, rows: 50 });
    cleanup.push(large.close);
    await large.waitFor('Epsilon');
    expect(large.frame()).toContain('╭');
  });
});
