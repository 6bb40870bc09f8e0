import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { isLoginNeeded, loginSucceeded, subscribeLoginNeeded } from '../api/auth-gate.js';
import { api, ApiError } from '../api/client.js';

/** Asks for the lab's token when an API call got 401; the server keeps it in an HttpOnly cookie. */
export function AuthPrompt() {
  const needed = useSyncExternalStore(subscribeLoginNeeded, isLoginNeeded);
  const dialog = useRef<HTMLDialogElement | null>(null);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (needed && !element.open) element.showModal();
    if (!needed && element.open) element.close();
  }, [needed]);

  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await api.login(token);
      setToken('');
      loginSucceeded();
    } catch (caught) {
      setError(caught instanceof ApiError && caught.status === 401 ? 'That token was not accepted.' : caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="auth-dialog"
      aria-labelledby="auth-title"
      data-testid="auth-dialog"
      onCancel={(event) => event.preventDefault()}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <h2 id="auth-title">This lab needs a token</h2>
        <p className="muted">Enter the LAB_AUTH_TOKEN the lab was started with. It is kept in a cookie scripts cannot read.</p>
        <label htmlFor="auth-token">Token</label>
        <input id="auth-token" type="password" autoComplete="current-password" value={token} onChange={(event) => setToken(event.target.value)} data-testid="auth-token" required />
        {error && (
          <p className="field-error" role="alert" data-testid="auth-error">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy || token === ''} data-testid="auth-submit">
            {busy ? 'Checking…' : 'Unlock'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
