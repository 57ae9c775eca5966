import { DEFAULT_BUDGET } from '../../src/guards/shell/analyze.js';

/** The pathological inputs: chains of `cd` whose outcomes multiply. */
export const PATHOLOGICAL = {
  cdChain: Array.from({ length: 40 }, (_, i) => `cd d${i} 2>/dev/null;`).join(' ') + ' cat f',
  cdUpDown: Array.from({ length: 40 }, (_, i) => `cd .. 2>/dev/null; cd x${i} 2>/dev/null;`).join(' ') + ' ls',
  cdSubshells: Array.from({ length: 40 }, (_, i) => `(cd s${i} 2>/dev/null); cd t${i} || true;`).join(' ') + ' cat f',
  manyPaths: `cat ${'a '.repeat(DEFAULT_BUDGET.maxSteps + 1_000)}`,
  deep: `echo ${'$('.repeat(12)}rm -rf ~${')'.repeat(12)}`,
  huge: `echo ${'x'.repeat(DEFAULT_BUDGET.maxChars)}`,
};
