import { isValidPhoneNumber } from 'libphonenumber-js/max';
import { IANAZone } from 'luxon';
import { registerDecorator, ValidateIf, ValidationOptions } from 'class-validator';

const E164 = /^\+[1-9]\d{6,14}$/;

export const isE164Phone = (value: unknown): value is string =>
  typeof value === 'string' && E164.test(value) && isValidPhoneNumber(value);

export const isIanaTimeZone = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= 64 && value.includes('/') && IANAZone.isValidZone(value);

/** A real phone number in E.164 form, e.g. +8613812345678. */
export function IsE164Phone(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isE164Phone',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a valid phone number in E.164 form, e.g. +8613812345678`, ...options },
      validator: { validate: isE164Phone },
    });
}

/** An IANA time zone name, e.g. Asia/Shanghai. */
export function IsIanaTimeZone(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isIanaTimeZone',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an IANA time zone such as Asia/Shanghai`, ...options },
      validator: { validate: isIanaTimeZone },
    });
}

/**
 * Optional means "may be left out", not "may be null": class-validator's IsOptional also skips null,
 * which would let `{"locale": null}` through to a NOT NULL column.
 */
export const OptionalField = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
