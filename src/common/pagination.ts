import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
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
 * Keyset SQL for query builders, over (created_at, id) newest first. created_at is compared at the
 * millisecond a JS Date (and so a cursor) can carry: with microseconds, rows written in the same
 * millisecond as a page's last row would fall between pages.
 */
export const keysetOrderBy = (alias: string): [string, string] => [`date_trunc('milliseconds', ${alias}.created_at)`, `${alias}.id`];
export const keysetAfter = (alias: string, key: CursorKey) => ({
  sql: `(date_trunc('milliseconds', ${alias}.created_at), ${alias}.id) < (:cursorAt, :cursorId)`,
  params: { cursorAt: key.createdAt, cursorId: key.id },
});
