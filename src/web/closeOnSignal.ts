/**
 * Resolves once SIGINT (Ctrl-C) or SIGTERM arrived and `server` has closed: how the CLI runs a
 * server until it is stopped. The handlers are removed at the first signal, so a second Ctrl-C
 * during a slow close kills the process the default way.
 */
export function closeOnSignal(server: { close(): Promise<void> }): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
