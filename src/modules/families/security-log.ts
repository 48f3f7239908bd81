import { Logger } from '@nestjs/common';
import { Actor } from '../../common/actor';
import { DomainError, ErrorCode } from '../../common/errors';

const logger = new Logger('Security');

/**
 * Logs a refusal decided here rather than in AccessService (a rule that needs this module's state,
 * such as "only a guardian may invite a guardian while the family has one") in the same shape as
 * AccessService's own security events, and returns the error to throw.
 */
export function refused(actor: Actor, error: DomainError, resource: string): DomainError {
  logger.warn(
    { event: 'access.refused', actorId: actor.userId, actorKind: actor.kind, resource, status: error.code === ErrorCode.NotFound ? 404 : 403 },
    'access refused',
  );
  return error;
}
