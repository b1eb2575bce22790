// The signed-in API key lives in sessionStorage only: it disappears with the tab, is never written
// to localStorage, and never goes into a URL.

const STORAGE_KEY = 'bambuddy.apiKey';

export function storedKey(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string): void {
  window.sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage unavailable: nothing to forget
  }
}

// Keys are "bb_" + 43 base64url characters; anything else is certainly wrong. Returns a reason or
// null when the text looks like a key.
export function keyShapeProblem(text: string): string | null {
  const key = text.trim();
  if (key.length === 0) return 'Paste an API key.';
  if (!key.startsWith('bb_')) return 'An API key starts with “bb_”.';
  if (!/^bb_[A-Za-z0-9_-]{43}$/.test(key)) return 'An API key is “bb_” followed by 43 letters, digits, “-” or “_”.';
  return null;
}
