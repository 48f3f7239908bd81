import { Logger } from '@nestjs/common';
import { Actor } from '../../common/actor';
import { DomainError, ErrorCode } from '../../common/errors';

const logger = new Logger('Security');

/**
 * Logs a refusal decided from a call's live state (who joined on which device) rather than from
 * relationships, in the same shape as AccessService's security events, and returns the error.
 */
export function refused(actor: Actor, error: DomainError, resource: string): DomainError {
  logger.warn(
    { event: 'access.refused', actorId: actor.userId, actorKind: actor.kind, resource, status: error.code === ErrorCode.NotFound ? 404 : 403 },
    'access refused',
  );
  return error;
}
