import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsEnum, IsString, Length, MaxLength } from 'class-validator';
import { pageResponse, PageQueryDto } from '../../../common/pagination';
import { IsE164Phone, OptionalField } from '../../../common/validators';
import { ContactSource } from '../child-contact.entity';
import { ContactRequestStatus } from '../contact-request.entity';
import { ContactRequestRow, ContactRow } from '../contacts.repository';
import { Printable, SingleLine, Trimmed } from './fields';

export class ContactResponse {
  @ApiProperty({ format: 'uuid' })
  userId: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ enum: ContactSource, enumName: 'ContactSource', description: 'family: an adult of the family; request: approved by a guardian' })
  source: ContactSource;
  @ApiProperty({ type: String, nullable: true, example: '舅舅' })
  relationship: string | null;
  @ApiProperty({ format: 'date-time' })
  approvedAt: string;
}

export const toContactResponse = (c: ContactRow): ContactResponse => ({
  userId: c.contactUserId,
  displayName: c.displayName,
  source: c.source,
  relationship: c.relationship,
  approvedAt: c.approvedAt.toISOString(),
});

/**
 * A family adult names someone with an account by phone or email. Without either, the request is
 * for the caller (a teacher of the child asking to become a contact).
 */
export class CreateContactRequestDto {
  @ApiPropertyOptional({ example: '+8613812345678', description: "The person's phone (E.164), as registered" })
  @OptionalField()
  @IsE164Phone()
  phone?: string;

  @ApiPropertyOptional({ example: 'uncle@example.com', maxLength: 254, description: "The person's email, as registered" })
  @OptionalField()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiProperty({ example: '舅舅', minLength: 1, maxLength: 60, description: 'Who this person is to the child' })
  @Trimmed()
  @IsString()
  @Length(1, 60)
  @SingleLine('relationship')
  relationship: string;

  @ApiPropertyOptional({ maxLength: 500, description: 'A word for the guardian who decides' })
  @OptionalField()
  @Trimmed()
  @IsString()
  @Length(1, 500)
  @Printable('note')
  note?: string;
}

export class ContactRequestResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty({ format: 'uuid', description: 'The person who would become a contact' })
  contactUserId: string;
  @ApiProperty()
  contactDisplayName: string;
  @ApiProperty({ format: 'uuid' })
  requestedBy: string;
  @ApiProperty()
  requesterDisplayName: string;
  @ApiProperty({ type: String, nullable: true })
  relationship: string | null;
  @ApiProperty({ type: String, nullable: true })
  note: string | null;
  @ApiProperty({ enum: ContactRequestStatus, enumName: 'ContactRequestStatus' })
  status: ContactRequestStatus;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  decidedBy: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  decidedAt: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class ContactRequestPage extends pageResponse(ContactRequestResponse) {}

export const toContactRequestResponse = (r: ContactRequestRow): ContactRequestResponse => ({
  id: r.id,
  childId: r.childId,
  contactUserId: r.contactUserId,
  contactDisplayName: r.contactDisplayName,
  requestedBy: r.requestedBy,
  requesterDisplayName: r.requesterDisplayName,
  relationship: r.relationship,
  note: r.note,
  status: r.status,
  decidedBy: r.decidedBy,
  decidedAt: r.decidedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

export class ContactRequestQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ContactRequestStatus, enumName: 'ContactRequestStatus', description: 'Only requests in this state (e.g. pending ones to decide)' })
  @OptionalField()
  @IsEnum(ContactRequestStatus)
  status?: ContactRequestStatus;
}
