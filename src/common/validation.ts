import { ArgumentMetadata, Injectable, PipeTransform, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, ValidationArguments, ValidationTypes, ValidatorConstraintInterface } from 'class-validator';
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

type Check = (value: unknown) => boolean;

/** What a precompiled check's arguments hold between calls, so they keep no payload alive. */
const EMPTY = Object.freeze({});

/**
 * The strict pipe with a precompiled fast path, for a hot socket event. For each DTO it reads the
 * class-validator metadata once and then calls the same constraint validators directly, without
 * class-transformer and the validator's per-call bookkeeping. The fast path only ever says "valid"
 * (and then answers the payload as it came, a plain object); everything else goes through the strict
 * pipe, so a refusal is exactly the strict pipe's. A DTO using anything but plain property
 * constraints and `ValidateIf` (nested, each, groups, async) always takes the strict pipe.
 */
@Injectable()
export class PrecompiledValidationPipe implements PipeTransform {
  private readonly strict = strictValidationPipe();
  private readonly checks = new Map<Type<unknown>, Check | null>();

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const check = metadata.metatype && metadata.type !== 'custom' ? this.checkFor(metadata.metatype) : null;
    return check?.(value) ? value : this.strict.transform(value, metadata);
  }

  private checkFor(metatype: Type<unknown>): Check | null {
    if (!this.checks.has(metatype)) this.checks.set(metatype, compileCheck(metatype));
    return this.checks.get(metatype)!;
  }
}

interface PropertyCheck {
  name: string;
  conditions: ((object: object, value: unknown) => boolean)[];
  /** Each constraint with its arguments object, filled for the call and emptied after it (validators are synchronous here). */
  constraints: { validate: ValidatorConstraintInterface['validate']; args: ValidationArguments }[];
}

/** A function true only for payloads the strict pipe accepts, or null when the DTO needs the full validator. */
export function compileCheck(metatype: Type<unknown>): Check | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(metatype, '', false, false);
  if (metadatas.length === 0) return null;
  const properties = new Map<string, PropertyCheck>();
  for (const m of metadatas) {
    if (m.each || m.always || m.validateIf || (m.groups?.length ?? 0) > 0 || m.context) return null;
    const property = properties.get(m.propertyName) ?? { name: m.propertyName, conditions: [], constraints: [] };
    properties.set(m.propertyName, property);
    if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      property.conditions.push(m.constraints[0] as PropertyCheck['conditions'][number]);
    } else if (m.type === ValidationTypes.CUSTOM_VALIDATION) {
      for (const constraint of storage.getTargetValidatorConstraints(m.constraintCls)) {
        if (constraint.async) return null;
        const args: ValidationArguments = { targetName: metatype.name, property: m.propertyName, object: EMPTY, value: undefined, constraints: m.constraints };
        property.constraints.push({ validate: constraint.instance.validate.bind(constraint.instance), args });
      }
    } else {
      return null;
    }
  }
  const checks = [...properties.values()];
  return (value: unknown): boolean => {
    if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) if (!properties.has(key)) return false;
    for (const { name, conditions, constraints } of checks) {
      const v = object[name];
      if (!conditions.every((condition) => condition(object, v))) continue;
      for (const { validate, args } of constraints) {
        args.object = object;
        args.value = v;
        const valid = validate(v, args) === true;
        args.object = EMPTY;
        args.value = undefined;
        if (!valid) return false;
      }
    }
    return true;
  };
}
