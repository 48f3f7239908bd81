import 'reflect-metadata';
import { ArgumentMetadata } from '@nestjs/common';
import fc from 'fast-check';
import { DomainError } from '../../common/errors';
import { compileCheck, PrecompiledValidationPipe, socketValidationPipe } from '../../common/validation';
import { MAX_TEXT_LENGTH, SendMessageEventDto } from './dto/message.dto';

const body: ArgumentMetadata = { type: 'body', metatype: SendMessageEventDto, data: '' };
const strict = socketValidationPipe();
const fast = new PrecompiledValidationPipe();

/** What a pipe answers: the accepted payload's fields, or the refusal's fields and detail. */
const outcome = async (pipe: { transform(value: unknown, metadata: ArgumentMetadata): unknown }, value: unknown) => {
  try {
    return { accepted: { ...((await pipe.transform(value, body)) as object) } };
  } catch (error) {
    const e = error as DomainError;
    return { refused: { code: e.code, detail: e.detail, extra: e.extra } };
  }
};

const uuid = '0b0e5c2e-7d0a-4c1e-9b8f-3a2d1c0e9f8a';
const valid = { conversationId: uuid, clientMsgId: 'phone-1', kind: 'text', body: '你好' };

describe('message:send payloads: the precompiled check and the strict pipe agree', () => {
  const check = compileCheck(SendMessageEventDto)!;

  it('takes the fast path for the payloads clients send', () => {
    expect(check).not.toBeNull();
    expect(check(valid)).toBe(true);
    expect(check({ ...valid, kind: 'image', mediaId: uuid, body: undefined })).toBe(true);
    expect(check({ conversationId: uuid, clientMsgId: 'x', kind: 'voice', mediaId: uuid })).toBe(true);
  });

  it('refuses exactly what the strict pipe refuses, with the same errors', async () => {
    const refusals = [
      { ...valid, conversationId: 'not-a-uuid' },
      { ...valid, clientMsgId: 'has space' },
      { ...valid, kind: 'system' },
      { ...valid, body: '' },
      { ...valid, body: null },
      { ...valid, body: 'x'.repeat(MAX_TEXT_LENGTH + 1) },
      { ...valid, body: 'bell\u0007' },
      { ...valid, senderId: uuid },
      { ...valid, mediaId: 42 },
      { conversationId: uuid },
      null,
      'text',
      [valid],
    ];
    for (const payload of refusals) {
      expect(check(payload)).toBe(false);
      const answer = await outcome(fast, payload);
      expect(answer.refused).toBeDefined();
      expect(answer).toEqual(await outcome(strict, payload));
    }
  });

  it('never accepts a payload the strict pipe refuses (generated payloads)', async () => {
    const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('', ' ', 'a\nb', 'tab\there', 'nul\u0000', '表情😀', 'x'.repeat(MAX_TEXT_LENGTH), 'x'.repeat(MAX_TEXT_LENGTH + 1)));
    const anyValue = fc.oneof(text, fc.constant(uuid), fc.constantFrom('text', 'voice', 'image', 'system'), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }));
    const payload = fc.dictionary(fc.constantFrom('conversationId', 'clientMsgId', 'kind', 'body', 'mediaId', 'senderId', 'seq', '__proto__'), anyValue);
    await fc.assert(
      fc.asyncProperty(payload, async (value) => {
        const mixed = { ...valid, ...value };
        for (const candidate of [value, mixed]) {
          const answer = await outcome(fast, candidate);
          expect(answer).toEqual(await outcome(strict, candidate));
        }
      }),
      { numRuns: 500 },
    );
  });
});
