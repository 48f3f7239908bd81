import { registerDecorator, ValidationOptions } from 'class-validator';
import { DateTime } from 'luxon';

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A full instant with its offset: a bare date or a time without a zone would be read in the server's zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export const isLocalDate = (value: unknown): value is string =>
  typeof value === 'string' && LOCAL_DATE.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;

export const isInstant = (value: unknown): value is string =>
  typeof value === 'string' && INSTANT.test(value) && DateTime.fromISO(value, { setZone: true }).isValid;

/** A calendar date "YYYY-MM-DD" that exists. */
export function IsLocalDate(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isLocalDate',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a date "YYYY-MM-DD", e.g. 2026-12-06`, ...options },
      validator: { validate: isLocalDate },
    });
}

/** An ISO 8601 instant with a zone designator, e.g. 2026-12-06T11:30:00Z or 2026-12-06T19:30:00+08:00. */
export function IsInstant(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an ISO 8601 instant with a zone, e.g. 2026-12-06T11:30:00Z`, ...options },
      validator: { validate: isInstant },
    });
}
