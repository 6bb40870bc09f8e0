import { useEffect, useState } from 'react';

/** True on a touch screen (no fine pointer): keyboard hints are hidden there. */
export function useTouchScreen(): boolean {
  const query = '(pointer: coarse)';
  const [touch, setTouch] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const list = matchMedia(query);
    const onChange = () => setTouch(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  return touch;
}
