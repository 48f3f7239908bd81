import 'reflect-metadata';
import { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsString, ValidateNested } from 'class-validator';
import { DomainError } from './errors';
import { compileCheck, PrecompiledValidationPipe, strictValidationPipe } from './validation';

class Item {
  @IsInt()
  n: number;
}
class WithNested {
  @ValidateNested()
  @Type(() => Item)
  item: Item;
}
class WithEach {
  @IsString({ each: true })
  tags: string[];
}

/** What a pipe answers for a body of `metatype`: the accepted payload, or the refusal's code, detail and fields. */
const outcome = async (pipe: { transform(value: unknown, metadata: ArgumentMetadata): unknown }, metatype: ArgumentMetadata['metatype'], value: unknown) => {
  try {
    return { accepted: await pipe.transform(value, { type: 'body', metatype, data: '' }) };
  } catch (error) {
    const e = error as DomainError;
    return { refused: { code: e.code, detail: e.detail, extra: e.extra } };
  }
};

describe('PrecompiledValidationPipe', () => {
  it('leaves DTOs with nested or per-item rules to the strict pipe', () => {
    expect(compileCheck(WithNested)).toBeNull();
    expect(compileCheck(WithEach)).toBeNull();
  });

  it('answers such DTOs exactly as the strict pipe does', async () => {
    const fast = new PrecompiledValidationPipe();
    const strict = strictValidationPipe();
    const cases: [ArgumentMetadata['metatype'], unknown][] = [
      [WithNested, { item: { n: 1 } }],
      [WithNested, { item: { n: 'one' } }],
      [WithNested, { item: { n: 1, extra: true } }],
      [WithEach, { tags: ['a', 'b'] }],
      [WithEach, { tags: ['a', 2] }],
    ];
    for (const [metatype, value] of cases) {
      const answer = await outcome(fast, metatype, value);
      expect(answer).toEqual(await outcome(strict, metatype, value));
    }
    expect(await outcome(fast, WithNested, { item: { n: 'one' } })).toMatchObject({ refused: { extra: { fields: [{ field: 'item.n' }] } } });
    expect(await outcome(fast, WithEach, { tags: ['a', 2] })).toMatchObject({ refused: { extra: { fields: [{ field: 'tags' }] } } });
    expect(await outcome(fast, WithNested, { item: { n: 1 } })).toEqual({ accepted: expect.any(WithNested) });
  });
});
