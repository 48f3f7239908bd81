import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { toProblem } from './problem';

export interface AckError {
  ok: false;
  error: { status: number; title: string; detail?: string; code: string; errors?: unknown };
}

export const ackError = (error: unknown): AckError => {
  const p = toProblem(error);
  return { ok: false, error: { status: p.status, title: p.title, detail: p.detail, code: p.code, ...(p.errors ? { errors: p.errors } : {}) } };
};

/** Socket events answer errors through the acknowledgement callback, in the same shape as HTTP problems. */
@Catch()
export class SocketProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const ack = host.getArgs().find((arg): arg is (r: unknown) => void => typeof arg === 'function');
    ack?.(ackError(error));
  }
}
