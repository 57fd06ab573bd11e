/** A token refused: its reason is logged, never sent (here so that checking for it does not load jose). */
export class AuthenticationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthenticationError';
  }
}
