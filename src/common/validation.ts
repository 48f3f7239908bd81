import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorCode, FieldError } from './errors';

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

export function validationError(errors: ValidationError[]): DomainError {
  const fields = flattenValidationErrors(errors);
  return new DomainError(ErrorCode.ValidationFailed, fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; '), {
    fields,
  });
}

/** Unknown fields are refused, not ignored: a smuggled `role` or `familyId` is an error. */
export const strictValidationPipe = () =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: validationError,
  });

/** Same rules for socket payloads; the error reaches the client through the acknowledgement. */
export const socketValidationPipe = strictValidationPipe;
