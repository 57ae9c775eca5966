import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { openModel, type ModelEndpoint } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { relevantKnowledge } from '../src/wiki/knowledge.js';
import { makeAgentWorkspace } from './helpers/agents.js';
import { page, SILO_CANARY, writePages } from './helpers/wiki.js';

const ALPHA_CANARY = 'CANARY-alpha-51d0e2';
const FILES = { 'README.md': '# app\n' };

const PAGES = {
  'alpha/release-process': page('Release process', 'alpha', `Ship releases on Tuesdays after the changelog is written. ${ALPHA_CANARY}`, 'tags: [release]\n'),
  'alpha/cooking': page('Team lunch', 'alpha', 'Pasta on Fridays, pizza on Mondays.'),
  'global/changelog': page('Changelog convention', 'global', 'Every release gets a changelog entry with the ticket id.'),
  'vault/strategy': page('Release of trading strategy', 'vault', `Strategy release checklist: the moving average window is 20. ${SILO_CANARY}`, 'tags: [release]\n'),
};

function call(name: string, input: Record<string, unknown>) {
  return { name, input };
}

let model: ModelEndpoint | null = null;
afterEach(async () => {
  await model?.close();
  model = null;
});

function requestsText(ticketTitle: string): string {
  return JSON.stringify(model!.server!.requests.filter((r) => JSON.stringify(r.body).includes(ticketTitle)).map((r) => r.body));
}

describe('the wiki reaches agents, and never across a silo wall', () => {
  it("an attacker of another brand never gets the silo's pages (WikiSearch, WikiRead, Read, Grep, Bash, the prompt), nor the silo another brand's", async () => {
    const wikiFile = (name: string, home: string) => path.join(home, 'wiki', `${name}.md`);
    const script: ModelScript = { tickets: {} };
    const { home, ws, bus } = await makeAgentWorkspace({
      brands: [{ id: 'alpha' }, { id: 'vault' }],
      files: FILES,
      registry: {
        brands: [
          { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
          { id: 'vault', name: 'Vault', silo: true, repos: [{ id: 'vault-app', path: 'repos/vault-app' }] },
        ],
      } as never,
    });
    writePages(home, PAGES);
    script.tickets['Write the release notes'] = [
      {
        tools: [
          call('WikiSearch', { query: 'canary vault 7f3a9c' }),
          call('WikiSearch', { query: 'release strategy moving average' }),
          call('WikiRead', { page: 'vault/strategy' }),
          call('WikiRead', { page: 'strategy' }),
          call('Read', { file_path: wikiFile('vault/strategy', home) }),
          call('Grep', { pattern: 'CANARY', path: path.join(home, 'wiki') }),
          call('Bash', { command: `cat ${wikiFile('vault/strategy', home)}; grep -r CANARY ${path.join(home, 'wiki')}` }),
        ],
      },
      { tools: [call('WikiRead', { page: 'alpha/release-process' }), call('Finish', { summary: 'looked' })] },
    ];
    script.tickets['Review the strategy release'] = [
      {
        tools: [
          call('WikiSearch', { query: 'canary alpha 51d0e2 tuesdays' }),
          call('WikiRead', { page: 'alpha/release-process' }),
          call('WikiRead', { page: 'release-process' }),
          call('Read', { file_path: wikiFile('alpha/release-process', home) }),
        ],
      },
      { tools: [call('WikiRead', { page: 'vault/strategy' }), call('Finish', { summary: 'looked' })] },
    ];
    model = await openModel(ws.registry, home, { script, recordRequests: true });
    ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Write the release notes', body: 'Release notes with the changelog.', state: 'ready' });
    ws.tickets.create({ brand: 'vault', repo: 'vault-app', title: 'Review the strategy release', body: 'Check the strategy release.', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', model });

    const alpha = requestsText('Write the release notes');
    const vault = requestsText('Review the strategy release');
    // The attempts really happened and came back (so the absence below means something).
    expect(alpha).toContain('no wiki page');
    expect(vault).toContain('no wiki page');
    // Each brand gets its own knowledge: in the prompt and through WikiRead.
    expect(alpha).toContain('[[alpha/release-process]]');
    expect(alpha).toContain(ALPHA_CANARY);
    expect(vault).toContain('[[vault/strategy]]');
    expect(vault).toContain(SILO_CANARY);
    // And never the other side's.
    expect(alpha).not.toContain(SILO_CANARY);
    expect(alpha).not.toContain('vault/strategy]]');
    expect(vault).not.toContain(ALPHA_CANARY);
    expect(vault).not.toContain('[[alpha/');
  });

  it("an executor's prompt holds its brand's relevant pages and global ones, cited by name, not unrelated ones, within the budget", async () => {
    const { home, ws } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }, { id: 'beta' }], files: FILES });
    writePages(home, { ...PAGES, 'beta/release': page('Beta release', 'beta', 'Beta releases on Thursdays with a changelog.') });
    const knowledge = relevantKnowledge(ws.paths, ws.registry, { brand: 'alpha', text: 'Write the release notes\nAdd the changelog entry for the release' });
    expect(knowledge.pages).toContain('alpha/release-process');
    expect(knowledge.pages).toContain('global/changelog');
    expect(knowledge.pages).not.toContain('alpha/cooking');
    expect(knowledge.pages).not.toContain('beta/release');
    expect(knowledge.section).toContain('[[alpha/release-process]] Release process');

    const tight = relevantKnowledge(ws.paths, ws.registry, { brand: 'alpha', text: 'release changelog', budgetTokens: 60 });
    expect(tight.section.length).toBeLessThan(60 * 4 + 400);
    expect(relevantKnowledge(ws.paths, ws.registry, { brand: 'alpha', text: 'quantum entanglement' }).pages).toEqual([]);
  });
});
