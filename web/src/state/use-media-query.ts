import { useEffect, useState } from 'react';

/** Whether a CSS media query matches now, kept current. */
export function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const list = matchMedia(query);
    const onChange = () => setMatches(list.matches);
    onChange();
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, [query]);
  return matches;
}

/** True on a touch screen (no fine pointer): keyboard hints are hidden there. */
export const useTouchScreen = (): boolean => useMediaQuery('(pointer: coarse)');

/** A phone's width: the sidebar is a drawer, filters fold away. */
export const usePhoneWidth = (): boolean => useMediaQuery('(max-width: 760px)');
