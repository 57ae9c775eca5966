import type { DemoRepoTemplate } from '../project.js';
import { umanoEvents, umanoLabel, suite52Site } from './music.js';
import { sandboxContent, sandboxCurriculum } from './sandbox.js';
import { blockwiseEngine, maxproductLab, personalCareer, violetTools } from './ventures.js';

/** The nine demo repos by id. */
export const DEMO_REPOS: Record<string, DemoRepoTemplate> = Object.fromEntries(
  [sandboxContent, sandboxCurriculum, umanoEvents, umanoLabel, violetTools, suite52Site, blockwiseEngine, maxproductLab, personalCareer].map((template) => [template.id, template]),
);
