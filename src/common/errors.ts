/** Stable error codes. Clients switch on `code`; the HTTP status follows from it. */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  MalformedRequest = 'malformed_request',
  Unauthenticated = 'unauthenticated',
  InvalidCredentials = 'invalid_credentials',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  InvalidCode = 'invalid_code',
  RateLimited = 'rate_limited',
  PayloadTooLarge = 'payload_too_large',
  ServiceUnavailable = 'service_unavailable',
  Internal = 'internal_error',
}

export const statusOf: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.MalformedRequest]: 400,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.InvalidCredentials]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.InvalidCode]: 400,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.ServiceUnavailable]: 503,
  [ErrorCode.Internal]: 500,
};

export const titleOf: Record<ErrorCode, string> = {
  [ErrorCode.ValidationFailed]: 'Your request has invalid fields',
  [ErrorCode.MalformedRequest]: 'The request could not be read',
  [ErrorCode.Unauthenticated]: 'Sign-in required',
  [ErrorCode.InvalidCredentials]: 'Wrong login or password',
  [ErrorCode.Forbidden]: 'Not allowed',
  [ErrorCode.NotFound]: 'Not found',
  [ErrorCode.Conflict]: 'Conflict with the current state',
  [ErrorCode.InvalidCode]: 'The code is wrong, expired or already used',
  [ErrorCode.RateLimited]: 'Too many requests',
  [ErrorCode.PayloadTooLarge]: 'The request is too large',
  [ErrorCode.ServiceUnavailable]: 'Service unavailable',
  [ErrorCode.Internal]: 'Internal error',
};

export interface FieldError {
  field: string;
  messages: string[];
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: { fields?: FieldError[]; retryAfterSeconds?: number } = {},
  ) {
    super(detail ?? titleOf[code]);
    this.name = 'DomainError';
  }

  get status(): number {
    return statusOf[this.code];
  }
}

export const notFound = (what: string) => new DomainError(ErrorCode.NotFound, `${what} not found`);
export const forbidden = (detail: string) => new DomainError(ErrorCode.Forbidden, detail);
export const conflict = (detail: string) => new DomainError(ErrorCode.Conflict, detail);
export const unauthenticated = (detail = 'A valid access token is required') =>
  new DomainError(ErrorCode.Unauthenticated, detail);
export const invalidField = (field: string, message: string) =>
  new DomainError(ErrorCode.ValidationFailed, `${field}: ${message}`, { fields: [{ field, messages: [message] }] });
