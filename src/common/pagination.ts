import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { invalidField } from './errors';
import { OptionalField } from './validators';

export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @OptionalField()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @OptionalField()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

/** Keyset cursor over (createdAt, id), newest first. */
export interface CursorKey {
  createdAt: Date;
  id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), key.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): CursorKey | undefined {
  if (!cursor) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string') throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw invalidField('cursor', 'is not a cursor this service issued');
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Turns `limit + 1` rows into a page and the cursor of its last item. */
export function toPage<R extends CursorKey, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(map), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

export function pageResponse<T>(itemType: new () => T) {
  class PageResponse {
    @ApiProperty({ type: [itemType] })
    items: T[];
    @ApiProperty({ type: String, nullable: true })
    nextCursor: string | null;
  }
  Object.defineProperty(PageResponse, 'name', { value: `${itemType.name}Page` });
  return PageResponse;
}

/**
 * Orders a list newest first by (created_at, id), continues after the cursor's row and reads one row
 * more than the page, for `toPage`. The paged tables keep created_at in milliseconds (timestamptz(3)),
 * exactly what a cursor carries, so the comparison is plain and their (…, created_at) indexes serve it.
 */
export function keysetPage<T extends ObjectLiteral>(query: SelectQueryBuilder<T>, alias: string, after: CursorKey | undefined, limit: number): SelectQueryBuilder<T> {
  query.orderBy(`${alias}.created_at`, 'DESC').addOrderBy(`${alias}.id`, 'DESC').limit(limit + 1);
  if (after) query.andWhere(`(${alias}.created_at, ${alias}.id) < (:cursorAt, :cursorId)`, { cursorAt: after.createdAt, cursorId: after.id });
  return query;
}
