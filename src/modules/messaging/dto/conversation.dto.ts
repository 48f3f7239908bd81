import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalField } from '../../../common/validators';
import { ConversationKind } from '../conversation.entity';
import { MessageResponse } from './message.dto';

export const MAX_GROUP_MEMBERS = 20;

export class CreateConversationDto {
  @ApiProperty({ format: 'uuid', description: 'The child the conversation is about; you must be an adult of its family' })
  @IsUUID()
  childId: string;

  @ApiProperty({
    type: [String],
    description: "Others to include besides you and the child: each must be an approved contact of the child",
    minItems: 1,
    maxItems: MAX_GROUP_MEMBERS,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_GROUP_MEMBERS)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  memberIds: string[];

  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @OptionalField()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'title must not contain control characters' })
  title?: string;
}

export class ConversationMemberResponse {
  @ApiProperty({ format: 'uuid' })
  userId: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ enum: ['adult', 'child'] })
  kind: string;
  @ApiProperty({ description: 'How far this member has read' })
  readSeq: number;
}

export class ConversationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ enum: ConversationKind })
  kind: ConversationKind;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  familyId: string | null;
  @ApiProperty({ type: String, nullable: true })
  title: string | null;
  @ApiProperty({ description: 'The highest seq committed' })
  lastSeq: number;
  @ApiProperty({ description: "Your read mark (0 when you only watch as a child's guardian)" })
  readSeq: number;
  @ApiProperty({ description: "Messages after your read mark that others sent" })
  unreadCount: number;
  @ApiProperty({ description: "True when you see it as a child's guardian rather than as a member" })
  asGuardian: boolean;
  @ApiProperty({ type: [ConversationMemberResponse], description: 'Current members' })
  members: ConversationMemberResponse[];
  @ApiProperty({ type: MessageResponse, nullable: true })
  lastMessage: MessageResponse | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class ConversationPage {
  @ApiProperty({ type: [ConversationResponse] })
  items: ConversationResponse[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class MediaResponse {
  @ApiProperty({ format: 'uuid' })
  mediaId: string;
  @ApiProperty({ description: 'Where members fetch it (with their access token)' })
  url: string;
  @ApiProperty({ enum: ['voice', 'image'] })
  kind: string;
  @ApiProperty()
  contentType: string;
  @ApiProperty()
  sizeBytes: number;
  @ApiProperty({ type: Number, nullable: true })
  durationMs: number | null;
}

export class BlockDto {
  @ApiProperty({ format: 'uuid', description: 'The person the child should no longer hear from' })
  @IsUUID()
  userId: string;
}

export class BlockResponse {
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty({ format: 'uuid' })
  userId: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  blockedBy: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
