/** What the screen shows and where the operator is: a pure reducer (the state hook of @inkjs/ui's split). */

export type View = 'main' | 'help' | 'triage' | 'transcript' | 'details';

export interface Prompt {
  purpose: 'filter' | 'answer' | 'retry' | 'new-repo' | 'new-title' | 'edit-field' | 'edit-title' | 'edit-body' | 'edit-acceptance' | 'edit-priority';
  label: string;
  target?: string;
  /** What is typed so far. */
  value: string;
  /** For a pick list: the options and the highlighted one. */
  options?: readonly string[];
  choice?: number;
}

export type Confirm =
  | { kind: 'quit'; text: string }
  | { kind: 'cancel'; target: string; text: string }
  /** A destructive answer to a question, sent once confirmed. */
  | { kind: 'answer'; target: string; answer: string; text: string };

export interface UiState {
  view: View;
  /** Where esc or ? goes back to from help. */
  back: View;
  ticket: string | null;
  focus: number;
  /** The header phase in focus (its reason shows), or null. */
  phase: number | null;
  cursor: number;
  filter: string;
  skipped: ReadonlySet<string>;
  prompt: Prompt | null;
  confirm: Confirm | null;
  message: string | null;
}

export const initialUi: UiState = {
  view: 'main',
  back: 'main',
  ticket: null,
  focus: 0,
  phase: null,
  cursor: 0,
  filter: '',
  skipped: new Set(),
  prompt: null,
  confirm: null,
  message: null,
};

export type UiAction =
  | { type: 'view'; view: View; ticket?: string }
  | { type: 'focus'; focus: number }
  | { type: 'phase'; phase: number | null }
  | { type: 'cursor'; cursor: number }
  | { type: 'filter'; filter: string }
  | { type: 'skip'; key: string }
  | { type: 'prompt'; prompt: Prompt | null }
  | { type: 'type'; value: string }
  | { type: 'choose'; choice: number }
  | { type: 'confirm'; confirm: Confirm | null }
  | { type: 'message'; message: string | null };

/** Returns the same object when nothing changed, so nothing re-renders for nothing. */
export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'view':
      if (state.view === action.view && (action.ticket ?? state.ticket) === state.ticket) return state;
      return {
        ...state,
        view: action.view,
        back: action.view === 'help' ? state.view : state.back,
        ticket: action.ticket ?? state.ticket,
        message: null,
      };
    case 'focus':
      return state.focus === action.focus ? state : { ...state, focus: action.focus };
    case 'phase':
      return state.phase === action.phase ? state : { ...state, phase: action.phase };
    case 'cursor':
      return state.cursor === action.cursor ? state : { ...state, cursor: action.cursor };
    case 'filter':
      return { ...state, filter: action.filter, cursor: 0 };
    case 'skip':
      return { ...state, skipped: new Set([...state.skipped, action.key]) };
    case 'prompt':
      return { ...state, prompt: action.prompt };
    case 'type':
      return state.prompt ? { ...state, prompt: { ...state.prompt, value: action.value } } : state;
    case 'choose':
      return state.prompt ? { ...state, prompt: { ...state.prompt, choice: action.choice } } : state;
    case 'confirm':
      return { ...state, confirm: action.confirm };
    case 'message':
      return state.message === action.message ? state : { ...state, message: action.message };
  }
}
