/**
 * An error the user can act on: it names the file and/or field at fault and what is wrong.
 * The CLI prints `message` on one line and exits with code 2; the extension shows it with an
 * action to open `file`.
 */
export class LabError extends Error {
  constructor(
    message: string,
    readonly details: { file?: string; field?: string; code?: LabErrorCode } = {},
  ) {
    super(message);
    this.name = 'LabError';
  }
  get file(): string | undefined {
    return this.details.file;
  }
  get field(): string | undefined {
    return this.details.field;
  }
  get code(): LabErrorCode {
    return this.details.code ?? 'invalid-input';
  }
}

export type LabErrorCode = 'invalid-input' | 'invalid-config' | 'invalid-data' | 'backend-unavailable' | 'not-found';

export function isLabError(e: unknown): e is LabError {
  return e instanceof LabError;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
