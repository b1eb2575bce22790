// Running one user action (a button, a form submit) so that its failure can be shown in a banner.

export interface ActionState {
  setBusy: (busy: boolean) => void;
  setError: (error: unknown) => void;
}

// Clears the last failure, marks the action busy, awaits `fn` and keeps a new failure instead of
// throwing it: callers show `error` and never need their own try/catch.
export async function runAction(fn: () => Promise<void>, state: ActionState): Promise<void> {
  state.setBusy(true);
  state.setError(null);
  try {
    await fn();
  } catch (e) {
    state.setError(e);
  } finally {
    state.setBusy(false);
  }
}
