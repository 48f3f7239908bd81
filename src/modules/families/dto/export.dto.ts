import { ApiProperty } from '@nestjs/swagger';
import { AuditEventResponse } from '../../audit/audit.dto';
import { MessageResponse } from '../../messaging/dto/message.dto';
import { ChildExportRow, ExportDeviceRow, ExportEnrollmentRow } from '../children.repository';
import { ContactRequestResponse, ContactResponse } from './contact.dto';

export class ExportedProfile {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ type: Number, nullable: true })
  birthYear: number | null;
  @ApiProperty()
  locale: string;
  @ApiProperty()
  timeZone: string;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  createdBy: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class ExportedConsent {
  @ApiProperty({ format: 'uuid', description: 'The adult who consented' })
  givenBy: string;
  @ApiProperty({ format: 'date-time' })
  givenAt: string;
  @ApiProperty({ description: 'The privacy notice version the adult was shown' })
  noticeVersion: string;
}

export class ExportedDevice {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  name: string;
  @ApiProperty({ format: 'date-time' })
  pairedAt: string;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  codeIssuedBy: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  revokedAt: string | null;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  revokedBy: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  lastSeenAt: string | null;
}

export class ExportedContact extends ContactResponse {
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  approvedBy: string | null;
}

export class ExportedEnrollment {
  @ApiProperty({ format: 'uuid' })
  classId: string;
  @ApiProperty()
  className: string;
  @ApiProperty({ type: String, nullable: true })
  schoolName: string | null;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  enrolledBy: string | null;
  @ApiProperty({ format: 'date-time' })
  enrolledAt: string;
}

/** Everything Homeline holds about one child, for the guardian (the child's data rights). */
export class ChildExportResponse {
  @ApiProperty({ format: 'date-time' })
  exportedAt: string;
  @ApiProperty({ type: ExportedProfile })
  profile: ExportedProfile;
  @ApiProperty({ format: 'uuid' })
  familyId: string;
  @ApiProperty({ type: ExportedConsent })
  consent: ExportedConsent;
  @ApiProperty({ type: [ExportedDevice] })
  devices: ExportedDevice[];
  @ApiProperty({ type: [ExportedContact] })
  contacts: ExportedContact[];
  @ApiProperty({ type: [ContactRequestResponse] })
  contactRequests: ContactRequestResponse[];
  @ApiProperty({ type: [ExportedEnrollment] })
  enrollments: ExportedEnrollment[];
  @ApiProperty({ type: [MessageResponse], description: 'Every message the child sent, oldest first, as members see it' })
  messages: MessageResponse[];
  @ApiProperty({ type: [AuditEventResponse] })
  auditEvents: AuditEventResponse[];
}

export const toExportedProfile = (c: ChildExportRow): ExportedProfile => ({
  id: c.userId,
  displayName: c.displayName,
  birthYear: c.birthYear,
  locale: c.locale,
  timeZone: c.timeZone,
  createdBy: c.createdBy,
  createdAt: c.createdAt.toISOString(),
});

export const toExportedConsent = (c: ChildExportRow): ExportedConsent => ({
  givenBy: c.consentGivenBy,
  givenAt: c.consentGivenAt.toISOString(),
  noticeVersion: c.consentNoticeVersion,
});

export const toExportedDevice = (d: ExportDeviceRow): ExportedDevice => ({
  id: d.id,
  name: d.name,
  pairedAt: d.pairedAt.toISOString(),
  codeIssuedBy: d.codeIssuedBy,
  revokedAt: d.revokedAt?.toISOString() ?? null,
  revokedBy: d.revokedBy,
  lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
});

export const toExportedEnrollment = (e: ExportEnrollmentRow): ExportedEnrollment => ({
  classId: e.classId,
  className: e.className,
  schoolName: e.schoolName,
  enrolledBy: e.enrolledBy,
  enrolledAt: e.enrolledAt.toISOString(),
});
