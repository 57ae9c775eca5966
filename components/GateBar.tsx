import { Box, Text } from 'ink';
import { memo } from 'react';
import type { GateRow, GateStepView } from '../src/cockpit/model.js';
import { theme } from './theme.js';

const STEP_COLOR: Record<GateStepView['status'], string> = {
  running: theme.accent,
  pass: theme.ok,
  done: theme.ok,
  fail: theme.bad,
  wait: theme.warn,
  moved: theme.warn,
};
const STEP_MARK: Record<GateStepView['status'], string> = { running: '…', pass: '✓', done: '✓', fail: '✗', wait: '⏸', moved: '↻' };

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : ` ${(ms / 1000).toFixed(1)}s`;
}

const Row = memo(function Row({ row }: { row: GateRow }) {
  const failed = row.steps.find((s) => s.status === 'fail');
  const current = [...row.steps].reverse().find((s) => s.status === 'running');
  // The outcome comes first, so a narrow terminal still shows it.
  const outcome =
    row.finished === 'merged' ? (
      <Text color={theme.ok} bold>
        merged
      </Text>
    ) : failed ? (
      <Text color={theme.bad} bold>
        failed
      </Text>
    ) : row.finished === 'waiting' ? (
      <Text color={theme.warn}>waits</Text>
    ) : (
      <Text color={theme.accent}>{current ? `${current.name ?? current.step}…` : 'queued'}</Text>
    );
  return (
    <Text wrap="truncate-end">
      <Text bold>{row.ticket}</Text> {outcome}
      <Text color={theme.muted}>
        {' '}
        {row.repo}
        {row.candidate ? `@${row.candidate}` : ''}{' '}
      </Text>
      {row.steps
        .filter((s) => s.step !== 'queue' || s.status !== 'wait')
        .map((s) => (
          <Text key={`${s.step}:${s.name ?? ''}`} color={STEP_COLOR[s.status]}>
            {s.name ?? s.step}
            {STEP_MARK[s.status]}
            {seconds(s.ms)}{' '}
          </Text>
        ))}
      {failed ? (
        <Text color={theme.bad}>
          {' '}
          failed: {failed.name ?? failed.step}
          {failed.reason ? ` — ${failed.reason}` : ''}
        </Text>
      ) : null}
      {row.finished === 'waiting' ? <Text color={theme.warn}>waits: {row.steps.at(-1)?.reason ?? ''}</Text> : null}
    </Text>
  );
});

/** The merge gate: for each ticket in it, its candidate and each step with its status and time. */
export function GateBar({ rows, max }: { rows: readonly GateRow[]; max: number }) {
  // Tickets still in the gate go last, so they are the ones kept when rows run short.
  const ordered = [...rows.filter((r) => r.finished !== null), ...rows.filter((r) => r.finished === null)];
  const shown = ordered.slice(-Math.max(1, max));
  return (
    <Box flexDirection="column">
      <Text color={theme.muted}>─ merge gate {rows.length ? '' : '· empty'}</Text>
      {shown.map((row) => (
        <Row key={row.ticket} row={row} />
      ))}
    </Box>
  );
}
