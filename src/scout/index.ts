/** The scout: what changed in every tracked repo since the last look, one briefing per brand. */
export { anythingMoved, scoutWorkspace, type ScoutOptions, type ScoutWorkspace } from './scout.js';
export { renderBriefings, renderBrand, summarize } from './briefing.js';
export type * from './types.js';
