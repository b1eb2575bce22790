// The signed-in key (GET /api/v1/auth/me), shared with every screen.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { allows, type Permission } from './permissions';
import type { Me } from './types';

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in screen');
  return me;
}

export function useCan(permission: Permission): boolean {
  return allows(useMe().permissions, permission);
}
