import type { Phase } from '../phase.js';
import { distillPhase } from './distill.js';
import { interviewPhase, type Interviewer } from './interview.js';
import { mergePhase } from './merge.js';
import { reportPhase, type ReportExtension } from './report.js';
import { scoutPhase } from './scout.js';
import { dispatchPhase } from './dispatch.js';

export interface PhaseSetOptions {
  interviewer?: Interviewer;
  reportExtensions?: ReportExtension[];
}

/** The phases of a session, in the order the session machine runs them. */
export function defaultPhases(options: PhaseSetOptions = {}): Phase[] {
  return [scoutPhase, distillPhase, interviewPhase(options.interviewer), dispatchPhase, mergePhase, reportPhase(options.reportExtensions)];
}
