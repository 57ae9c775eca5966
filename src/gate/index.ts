/** The merge gate: main moves only to a candidate that passed the checks, the verifier and the doctor. */
export { configuredChecks, runCheck, checkPassed, OUTPUT_TAIL } from './checks.js';
export { modelAvailability, type Availability } from '../agents/availability.js';
export { GATE_WORKTREE, gateLockPath, gateWorktreePath } from '../git/gatePaths.js';
export { gateCandidates, runMergeGate, systemDoctorGrade } from './queue.js';
export { gateTicket } from './ticketGate.js';
export type {
  DoctorGrade,
  GateOptions,
  GateOutcome,
  GateResult,
  GateStepName,
  GateStepStatus,
  Verifier,
  VerifierInput,
  VerifierVerdict,
} from './types.js';
