import { DEFAULT_BUDGET } from '../../src/guards/shell/analyze.js';

/** The pathological inputs: chains of `cd` whose outcomes multiply. */
export const PATHOLOGICAL = {
  cdChain: Array.from({ length: 40 }, (_, i) => `cd d${i} 2>/dev/null;`).join(' ') + ' cat f',
  cdUpDown: Array.from({ length: 40 }, (_, i) => `cd .. 2>/dev/null; cd x${i} 2>/dev/null;`).join(' ') + ' ls',
  cdSubshells: Array.from({ length: 40 }, (_, i) => `(cd s${i} 2>/dev/null); cd t${i} || true;`).join(' ') + ' cat f',
  manyPaths: `cat ${Array.from({ length: DEFAULT_BUDGET.maxSteps + 1_000 }, (_, i) => i.toString(36)).join(' ')}`,
  deep: `echo ${'$('.repeat(12)}rm -rf ~${')'.repeat(12)}`,
  huge: `echo ${'x'.repeat(DEFAULT_BUDGET.maxChars)}`,
  /** The largest ordinary command: a script written by a here-doc just under the size budget, full of paths. */
  bigHeredoc: `cat > gen.py <<'EOF'\n${"import os\nopen('src/data/file.txt').read()  # see /usr/share/doc and ../lib/x.py\n".repeat(Math.floor((DEFAULT_BUDGET.maxChars - 64) / 83))}EOF\npython3 gen.py`,
};
