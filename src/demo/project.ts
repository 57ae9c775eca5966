/**
 * The parts every demo repo shares: a dependency-free ESM Node project whose
 * checks run offline (`node --test`, `node scripts/lint.mjs`).
 */

/** One commit of a demo repo's history: the files it writes, and how many days before now it was made. */
export interface DemoCommit {
  message: string;
  daysAgo: number;
  files: Record<string, string>;
}

/** A demo repo: its history, and how its checks are meant to come out (the waiting work). */
export interface DemoRepoTemplate {
  id: string;
  commits: DemoCommit[];
  checks: { test: 'pass' | 'fail'; lint: 'pass' | 'fail' };
}

// Built from parts so this source never contains the call it hunts for.
const STRAY_PRINT = ['console', 'log'].join('\\\\.');

/** A tiny real linter: trailing whitespace, tabs, and stray debug prints in src/. */
/** The README section every demo repo has: how to run its checks. */
export const CHECKS_SECTION = String.raw`## Checks

    npm test        # node --test
    npm run lint    # node scripts/lint.mjs
`;

export const LINT_SCRIPT = `// Lints the project with no dependencies: trailing whitespace, tabs, stray debug prints in src/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const strayPrint = new RegExp('${STRAY_PRINT}\\\\(');
const problems = [];

function check(file) {
  readFileSync(file, 'utf8').split('\\n').forEach((line, index) => {
    const where = file + ':' + (index + 1);
    if (/[ \\t]+$/.test(line)) problems.push(where + ': trailing whitespace');
    if (line.includes('\\t')) problems.push(where + ': tab (indent with spaces)');
    if (file.startsWith('src') && strayPrint.test(line)) problems.push(where + ': debug print left in source');
  });
}

function walk(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) walk(file);
    else if (/\\.(m?js|json|md)$/.test(name)) check(file);
  }
}

for (const dir of ['src', 'test', 'scripts']) walk(dir);
for (const file of ['README.md', 'package.json']) if (existsSync(file)) check(file);

if (problems.length > 0) {
  process.stderr.write(problems.join('\\n') + '\\n' + problems.length + ' problem(s)\\n');
  process.exitCode = 1;
} else {
  process.stdout.write('lint: ok\\n');
}
`;

/** The first commit's files: package manifest, linter, ignore file and README. */
export function scaffold(name: string, description: string, readme: string): Record<string, string> {
  const manifest = {
    name,
    version: '0.1.0',
    private: true,
    description,
    type: 'module',
    scripts: { test: 'node --test', lint: 'node scripts/lint.mjs' },
  };
  return {
    'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'scripts/lint.mjs': LINT_SCRIPT,
    '.gitignore': 'node_modules/\n',
    'README.md': readme,
  };
}
