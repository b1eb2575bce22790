import { describe, expect, it } from 'vitest';
import { keyShapeProblem } from '../src/lib/session';
import { matchRoute } from '../src/lib/router';

describe('keyShapeProblem', () => {
  it('accepts bb_ and 43 base64url characters', () => {
    expect(keyShapeProblem('bb_QdMivnIDu6PyKUAVIjf0vjTDBPeREZCKTlItu7NFSvo')).toBeNull();
    expect(keyShapeProblem('  bb_QdMivnIDu6PyKUAVIjf0vjTDBPeREZCKTlItu7NFSvo\n')).toBeNull();
  });
  it('explains what is wrong', () => {
    expect(keyShapeProblem('')).toMatch(/Paste/);
    expect(keyShapeProblem('abc')).toMatch(/starts with/);
    expect(keyShapeProblem('bb_short')).toMatch(/43/);
  });
});

describe('matchRoute', () => {
  it('matches fixed and parameter segments', () => {
    expect(matchRoute('/archives/:id', '/archives/12')).toEqual({ id: '12' });
    expect(matchRoute('/archives', '/archives')).toEqual({});
    expect(matchRoute('/archives/:id', '/archives')).toBeNull();
    expect(matchRoute('/settings/api-keys', '/settings/notifications')).toBeNull();
  });
});
