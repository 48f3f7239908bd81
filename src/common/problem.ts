import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode, FieldError, statusOf, titleOf } from './errors';

/** RFC 9457 problem details, shared by the HTTP filter and socket acknowledgements. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  errors?: FieldError[];
  errorId?: string;
  retryAfterSeconds?: number;
}

const codeForStatus = (status: number): ErrorCode => {
  const match = (Object.entries(statusOf) as [ErrorCode, number][]).find(([, s]) => s === status);
  return match ? match[0] : status >= 500 ? ErrorCode.Internal : ErrorCode.MalformedRequest;
};

const problemType = (code: ErrorCode) => `https://homeline.app/problems/${code.replace(/_/g, '-')}`;

const logger = new Logger('Errors');

export function toProblem(error: unknown): Problem {
  if (error instanceof DomainError) {
    return {
      type: problemType(error.code),
      title: titleOf[error.code],
      status: error.status,
      detail: error.detail,
      code: error.code,
      ...(error.extra.fields ? { errors: error.extra.fields } : {}),
      ...(error.extra.retryAfterSeconds ? { retryAfterSeconds: error.extra.retryAfterSeconds } : {}),
    };
  }
  const status = httpStatusOf(error);
  if (status !== undefined && status < 500) {
    const code = codeForStatus(status);
    const detail = error instanceof HttpException ? messageOf(error) : (error as Error).message;
    return { type: problemType(code), title: titleOf[code] ?? 'Error', status, detail, code };
  }
  const errorId = randomUUID();
  logger.error({ err: error, errorId }, 'unhandled error');
  return {
    type: problemType(ErrorCode.Internal),
    title: titleOf[ErrorCode.Internal],
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    detail: `Something went wrong on our side (error id ${errorId})`,
    code: ErrorCode.Internal,
    errorId,
  };
}

/** Status of Nest HttpExceptions and of the errors Express body parsers throw (`status`, `type`). */
function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}

function messageOf(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : String(message ?? error.message);
}
