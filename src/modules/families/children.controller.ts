import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { Page, PageQueryDto } from '../../common/pagination';
import { AuditEventPage, AuditEventResponse } from '../audit/audit.dto';
import { AuditService } from '../audit/audit.service';
import { ChildrenService } from './children.service';
import { ContactsService } from './contacts.service';
import { ChildResponse } from './dto/child.dto';
import { ContactRequestPage, ContactRequestQueryDto, ContactRequestResponse, ContactResponse, CreateContactRequestDto } from './dto/contact.dto';
import { ChildExportResponse } from './dto/export.dto';

@ApiTags('children')
@ApiBearerAuth()
@Controller('v1/children/:childId')
export class ChildrenController {
  constructor(
    private readonly children: ChildrenService,
    private readonly contacts: ContactsService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: "A child's profile (the child, its family's adults and its teachers)" })
  @ApiOkResponse({ type: ChildResponse })
  get(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<ChildResponse> {
    return this.children.get(actor, childId);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: "Delete the child: profile, devices, sign-ins, contacts and enrollments (the child's guardian); the deletion is audited" })
  @ApiNoContentResponse()
  delete(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<void> {
    return this.children.delete(actor, childId);
  }

  @Get('export')
  @ApiOperation({ summary: "Everything held about the child, as JSON (the child's guardian)" })
  @ApiOkResponse({ type: ChildExportResponse })
  export(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<ChildExportResponse> {
    return this.children.export(actor, childId);
  }

  @Get('audit')
  @ApiOperation({ summary: "The child's audit log, newest first (the child's guardian)" })
  @ApiOkResponse({ type: AuditEventPage })
  auditLog(
    @CurrentActor() actor: Actor,
    @Param('childId', ParseUUIDPipe) childId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<AuditEventResponse>> {
    return this.audit.childLog(actor, childId, query.cursor, query.limit);
  }

  @Get('contacts')
  @ApiOperation({ summary: "Whom the child may message and call (the child's family, or the child itself)" })
  @ApiOkResponse({ type: [ContactResponse] })
  listContacts(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<ContactResponse[]> {
    return this.contacts.list(actor, childId);
  }

  @Delete('contacts/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: "Remove a contact's approval (the child's guardian)" })
  @ApiNoContentResponse()
  removeContact(
    @CurrentActor() actor: Actor,
    @Param('childId', ParseUUIDPipe) childId: string,
    @Param('userId', ParseUUIDPipe) userId: string,
  ): Promise<void> {
    return this.contacts.remove(actor, childId, userId);
  }

  @Post('contact-requests')
  @ApiOperation({
    summary: "Ask that someone become the child's contact: a family adult names an account by phone or email; a teacher of the child asks for themselves",
  })
  @ApiCreatedResponse({ type: ContactRequestResponse })
  requestContact(
    @CurrentActor() actor: Actor,
    @Param('childId', ParseUUIDPipe) childId: string,
    @Body() body: CreateContactRequestDto,
  ): Promise<ContactRequestResponse> {
    return this.contacts.request(actor, childId, body);
  }

  @Get('contact-requests')
  @ApiOperation({ summary: "Requests to become the child's contact, newest first (the child's guardian)" })
  @ApiOkResponse({ type: ContactRequestPage })
  contactRequests(
    @CurrentActor() actor: Actor,
    @Param('childId', ParseUUIDPipe) childId: string,
    @Query() query: ContactRequestQueryDto,
  ): Promise<Page<ContactRequestResponse>> {
    return this.contacts.listRequests(actor, childId, query);
  }
}

@ApiTags('children')
@ApiBearerAuth()
@Controller('v1/contact-requests/:requestId')
export class ContactRequestsController {
  constructor(private readonly contacts: ContactsService) {}

  @Post('approve')
  @HttpCode(200)
  @ApiOperation({ summary: "Approve: the person becomes the child's contact (the child's guardian)" })
  @ApiOkResponse({ type: ContactRequestResponse })
  approve(@CurrentActor() actor: Actor, @Param('requestId', ParseUUIDPipe) requestId: string): Promise<ContactRequestResponse> {
    return this.contacts.approveRequest(actor, requestId);
  }

  @Post('decline')
  @HttpCode(200)
  @ApiOperation({ summary: "Decline the request (the child's guardian)" })
  @ApiOkResponse({ type: ContactRequestResponse })
  decline(@CurrentActor() actor: Actor, @Param('requestId', ParseUUIDPipe) requestId: string): Promise<ContactRequestResponse> {
    return this.contacts.declineRequest(actor, requestId);
  }
}
