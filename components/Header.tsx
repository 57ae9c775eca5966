import { Box, Text } from 'ink';
import { memo } from 'react';
import type { CockpitSnapshot, PhaseView } from '../src/cockpit/model.js';
import { theme } from './theme.js';

const PHASE_MARK: Record<PhaseView['status'], { mark: string; color: string }> = {
  waiting: { mark: '·', color: theme.muted },
  running: { mark: '▶', color: theme.accent },
  done: { mark: '✓', color: theme.ok },
  skipped: { mark: '–', color: theme.muted },
  failed: { mark: '✗', color: theme.bad },
};

/** The header's budget lines (at most two, so the layout can count them): why dispatch holds a brand back. */
export function budgetLines(holds: CockpitSnapshot['budgetHolds']): string[] {
  const lines = holds.map((hold) => `⏸ budget ${hold.brand}: ${hold.reason}`);
  return lines.length <= 2 ? lines : [lines[0]!, `⏸ budget: ${lines.length - 1} more brands wait for their budget (ticket show names the reason)`];
}

/** Workspace, session, phases with their state, the doctor's grade, today's usage and why a budget holds a brand back. */
export const Header = memo(function Header({
  snapshot,
  focusedPhase,
}: {
  snapshot: Pick<CockpitSnapshot, 'workspace' | 'sessionId' | 'phases' | 'doctor' | 'sandboxWarning' | 'today' | 'passRunning'> & Partial<Pick<CockpitSnapshot, 'budgetHolds'>>;
  /** A skipped phase's reason is shown when it is focused. */
  focusedPhase?: string | null;
}) {
  const { doctor } = snapshot;
  const focused = snapshot.phases.find((p) => p.name === focusedPhase);
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between">
        <Text>
          <Text bold color={theme.accent}>
            master
          </Text>{' '}
          <Text>{snapshot.workspace}</Text>
          <Text color={theme.muted}>
            {' '}
            · {snapshot.sessionId ?? 'no session yet'}
            {snapshot.passRunning ? '' : ' (idle)'}
          </Text>
        </Text>
        <Text>
          {doctor ? (
            <Text color={doctor.grade === 'A' ? theme.ok : theme.bad}>
              doctor {doctor.grade} {doctor.passed}/{doctor.total}
            </Text>
          ) : (
            <Text color={theme.muted}>doctor –</Text>
          )}
          {snapshot.sandboxWarning ? <Text color={theme.warn}> ⚠ sandbox</Text> : null}
          <Text color={theme.muted}>
            {'  '}today {snapshot.today.tokens.toLocaleString('en-US')} tok ${snapshot.today.costUsd.toFixed(2)}
          </Text>
        </Text>
      </Box>
      <Text wrap="truncate-end">
        {snapshot.phases.map((phase) => (
          <Text key={phase.name} color={PHASE_MARK[phase.status].color}>
            <Text inverse={phase.name === focusedPhase}>
              {PHASE_MARK[phase.status].mark} {phase.name}
            </Text>
            {'  '}
          </Text>
        ))}
      </Text>
      {budgetLines(snapshot.budgetHolds ?? []).map((line) => (
        <Text key={line} color={theme.warn} wrap="truncate-end">
          {line}
        </Text>
      ))}
      {focused ? (
        <Text color={theme.muted} wrap="truncate-end">
          {focused.name}: {focused.reason ?? focused.status}
        </Text>
      ) : null}
    </Box>
  );
});
