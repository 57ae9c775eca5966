import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeWorkspace } from './workspace.js';

/** A string that must never leave the silo brand's wiki. */
export const SILO_CANARY = 'CANARY-vault-7f3a9c';

export function page(title: string, brand: string, body: string, extra = ''): string {
  return `---\ntitle: ${title}\nbrand: ${brand}\nupdated: 2026-11-30\n${extra}---\n\n${body}\n`;
}

/** Writes pages (name → text) into a workspace's wiki/. */
export function writePages(home: string, pages: Record<string, string>): void {
  for (const [name, text] of Object.entries(pages)) {
    const file = path.join(home, 'wiki', `${name}.md`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

/** The fixture wiki: subfolders, aliases, headings, a silo brand, and a few deliberate problems. */
export const FIXTURE_PAGES: Record<string, string> = {
  'alpha/release-process': page(
    'Release process',
    'alpha',
    '# Release process\n\nShip alpha releases on Tuesdays. Follow [[deploy/checklist]] and the [[house-style|house style]].\n\n## Rollback\n\nRevert the tag, then tell [[global/conventions#Incidents|everyone]].',
    'tags: [release, deploy]\nsources: [T-3, abc1234]\nconfidence: high\nauthority: librarian\n',
  ),
  'alpha/deploy/checklist': page('Deploy checklist', 'alpha', 'Before a deploy: green checks, a tag, a changelog. See [[release-process#Rollback]] when it goes wrong.'),
  'alpha/notes': page('Alpha notes', 'alpha', 'Half-done thoughts, and a link to [[missing-page]] that does not exist, and [[release-process#Nowhere]].'),
  'beta/style': page('House style', 'beta', 'Beta writes short sentences. Back to [[release-process]].', 'aliases: [house-style]\n'),
  'beta/checklist': page('Beta checklist', 'beta', 'Beta has its own checklist; [[checklist]] is ambiguous from here.'),
  'beta/broken': '---\ntitle: Broken\nbrand: beta\n---\n\nNo updated date; links [[style]].\n',
  'global/conventions': page('Conventions', 'global', '# Conventions\n\nEvery brand keeps a changelog.\n\n## Incidents\n\nSay what broke within the hour. See [[release-process]].'),
  'global/lonely': page('Lonely', 'global', 'Nobody links here and this links nowhere.'),
  'vault/strategy': page('Trading strategy', 'vault', `The moving average window is 20. Secret marker ${SILO_CANARY}. See [[vault/risk]].`, 'tags: [release]\n'),
  'vault/risk': page('Risk limits', 'vault', `Never more than 2% per trade; release of funds needs two keys. ${SILO_CANARY} See [[strategy]].`),
  'ledger/2026-11-30': page('Ledger 2026-11-30', 'global', '## T-1: something merged'),
};

/** A workspace with brands alpha, beta and the silo brand vault, and the fixture wiki. */
export function makeWikiWorkspace(extraPages: Record<string, string> = {}): string {
  const home = makeWorkspace({
    brands: [
      { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
      { id: 'beta', name: 'Beta', repos: [{ id: 'beta-app', path: 'repos/beta-app' }] },
      { id: 'vault', name: 'Vault', silo: true, repos: [{ id: 'vault-app', path: 'repos/vault-app' }] },
    ],
  } as never);
  writePages(home, { ...FIXTURE_PAGES, ...extraPages });
  return home;
}
