import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { forbidden, notFound, unauthenticated } from '../../common/errors';
import { AccessService } from './access.service';

describe('AccessService.refuse: the access.refused security event', () => {
  const actor = { userId: 'u-1', kind: UserKind.Adult, sessionId: 's-1' } as Actor;

  it('logs the status the caller is answered with, and hands the error back', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const access = new AccessService(undefined as unknown as DataSource);
    try {
      for (const [error, status] of [
        [notFound('Family'), 404],
        [forbidden('Only guardians can do this'), 403],
        [unauthenticated('This sign-in has ended; please sign in again'), 401],
      ] as const) {
        expect(access.refuse(actor, error, 'family:f-1')).toBe(error);
        expect(warn).toHaveBeenLastCalledWith({ event: 'access.refused', actorId: 'u-1', actorKind: UserKind.Adult, resource: 'family:f-1', status }, 'access refused');
      }
    } finally {
      warn.mockRestore();
    }
  });
});
