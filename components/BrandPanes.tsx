import { Box, Text } from 'ink';
import { memo } from 'react';
import type { BrandView, RunningView } from '../src/cockpit/model.js';
import { stateColor, theme } from './theme.js';

function elapsed(since: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(since)) / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const VERDICT_COLOR = { running: theme.accent, ok: theme.ok, error: theme.bad, refused: theme.warn } as const;

const Running = memo(function Running({ run, now, width }: { run: RunningView; now: number; width: number }) {
  const tail = run.textTail.replace(/\s+/g, ' ').trim();
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text color={stateColor.running}>▶ {run.ticket}</Text> {run.title}
      </Text>
      <Text wrap="truncate-end">
        <Text color={theme.muted}>
          turn {run.turn}
          {run.maxTurns ? `/${run.maxTurns}` : ''} · {elapsed(run.startedAt, now)}{' '}
        </Text>
        {run.lastTool ? (
          <Text>
            <Text color={VERDICT_COLOR[run.lastTool.verdict]}>{run.lastTool.verdict === 'running' ? '…' : run.lastTool.verdict}</Text> {run.lastTool.tool}{' '}
            <Text color={theme.muted}>{run.lastTool.summary}</Text>
            {run.lastTool.by ? <Text color={theme.warn}> ({run.lastTool.by})</Text> : null}
          </Text>
        ) : null}
      </Text>
      {tail ? (
        <Text color={theme.muted} wrap="truncate-start">
          {tail.slice(-Math.max(10, width * 2))}
        </Text>
      ) : null}
    </Box>
  );
});

/** Rows a pane takes: border, name, a running ticket (3 lines), the latest states. */
export const PANE_HEIGHT = 7;

/** One brand: name, silo lock, what runs, queue depth and the latest tickets' states. */
export const BrandPane = memo(function BrandPane({ brand, focused, index, width, now }: { brand: BrandView; focused: boolean; index: number; width: number; now: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={focused ? theme.focus : theme.muted} width={width} height={PANE_HEIGHT} overflow="hidden" paddingX={1}>
      <Text wrap="truncate-end">
        <Text color={theme.muted}>{index + 1} </Text>
        <Text bold>{brand.name}</Text>
        {brand.silo ? <Text color={theme.warn}> 🔒</Text> : null}
        <Text color={theme.muted}> queue {brand.queue}</Text>
      </Text>
      {brand.running.length ? brand.running.slice(0, 1).map((run) => <Running key={run.ticket} run={run} now={now} width={width - 4} />) : <Text color={theme.muted}>idle</Text>}
      <Text wrap="truncate-end">
        {brand.latest.map((t) => (
          <Text key={t.id} color={stateColor[t.state]}>
            {t.id} {t.state}
            {'  '}
          </Text>
        ))}
      </Text>
    </Box>
  );
});

/** One compact line per brand, for small terminals (80×24). */
const BrandLine = memo(function BrandLine({ brand, focused, index }: { brand: BrandView; focused: boolean; index: number }) {
  const run = brand.running[0];
  return (
    <Text wrap="truncate-end" inverse={focused}>
      <Text color={theme.muted}>{index + 1} </Text>
      <Text bold>{brand.name.padEnd(14).slice(0, 14)}</Text>
      {brand.silo ? '🔒' : '  '}
      <Text color={theme.muted}> q{brand.queue} </Text>
      {run ? (
        <Text>
          <Text color={stateColor.running}>▶ {run.ticket}</Text> t{run.turn} {run.lastTool ? `${run.lastTool.tool} ${run.lastTool.verdict}` : run.title}
        </Text>
      ) : (
        <Text color={theme.muted}>{brand.latest.map((t) => `${t.id} ${t.state}`).join('  ') || 'idle'}</Text>
      )}
    </Text>
  );
});

/** The brands in a grid that fits the terminal, or a list when it is small. */
export function BrandPanes({ brands, focus, columns, compact, now }: { brands: readonly BrandView[]; focus: number; columns: number; compact: boolean; now: number }) {
  if (compact) {
    return (
      <Box flexDirection="column">
        {brands.map((brand, i) => (
          <BrandLine key={brand.id} brand={brand} focused={i === focus} index={i} />
        ))}
      </Box>
    );
  }
  const perRow = Math.max(1, Math.min(brands.length, Math.floor(columns / 38)));
  const width = Math.floor(columns / perRow);
  const rows: BrandView[][] = [];
  for (let i = 0; i < brands.length; i += perRow) rows.push(brands.slice(i, i + perRow));
  return (
    <Box flexDirection="column">
      {rows.map((row, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a row of the grid is its position; it has no other identity
        <Box key={r}>
          {row.map((brand, c) => (
            <BrandPane key={brand.id} brand={brand} focused={r * perRow + c === focus} index={r * perRow + c} width={width} now={now} />
          ))}
        </Box>
      ))}
    </Box>
  );
}
