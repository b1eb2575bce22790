import { describe, expect, it } from 'vitest';
import { runAction } from '../src/lib/action';

// Records every state change in order, as a component would see them.
function recorder() {
  const calls: string[] = [];
  return {
    calls,
    state: {
      setBusy: (busy: boolean) => calls.push(`busy ${busy}`),
      setError: (error: unknown) => calls.push(`error ${error === null ? 'null' : String((error as Error).message)}`),
    },
  };
}

describe('runAction', () => {
  it('clears the last error and is busy while the action runs', async () => {
    const r = recorder();
    let seen: string[] = [];
    await runAction(async () => {
      seen = [...r.calls];
    }, r.state);
    expect(seen).toEqual(['busy true', 'error null']);
    expect(r.calls).toEqual(['busy true', 'error null', 'busy false']);
  });

  it('keeps a failure instead of throwing it, and is no longer busy', async () => {
    const r = recorder();
    await expect(
      runAction(async () => {
        throw new Error('refused');
      }, r.state),
    ).resolves.toBeUndefined();
    expect(r.calls).toEqual(['busy true', 'error null', 'error refused', 'busy false']);
  });

  it('keeps a failure thrown before the first await', async () => {
    const r = recorder();
    await runAction(() => {
      throw new Error('at once');
    }, r.state);
    expect(r.calls).toContain('error at once');
    expect(r.calls.at(-1)).toBe('busy false');
  });
});
