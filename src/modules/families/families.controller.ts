import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { AuthRateLimit } from '../../common/guards/rate-limit.guard';
import { Page, PageQueryDto } from '../../common/pagination';
import { AuditEventPage, AuditEventResponse } from '../audit/audit.dto';
import { AuditService } from '../audit/audit.service';
import { ChildrenService } from './children.service';
import { ChildResponse, CreateChildDto } from './dto/child.dto';
import { CreateFamilyDto, FamilyPage, FamilyResponse } from './dto/family.dto';
import { CreateInvitationDto, InvitationResponse } from './dto/invitation.dto';
import { FamiliesService } from './families.service';

@ApiTags('families')
@ApiBearerAuth()
@Controller('v1/families')
export class FamiliesController {
  constructor(
    private readonly families: FamiliesService,
    private readonly children: ChildrenService,
    private readonly audit: AuditService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Start a family; you become its first member in the role you choose' })
  @ApiCreatedResponse({ type: FamilyResponse })
  create(@CurrentActor() actor: Actor, @Body() body: CreateFamilyDto): Promise<FamilyResponse> {
    return this.families.create(actor, body);
  }

  @Get()
  @ApiOperation({ summary: 'My families (a child: its own), newest first' })
  @ApiOkResponse({ type: FamilyPage })
  list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<Page<FamilyResponse>> {
    return this.families.list(actor, query);
  }

  @Get(':familyId')
  @ApiOperation({ summary: 'A family: its adults (names and roles) and its children' })
  @ApiOkResponse({ type: FamilyResponse })
  get(@CurrentActor() actor: Actor, @Param('familyId', ParseUUIDPipe) familyId: string): Promise<FamilyResponse> {
    return this.families.get(actor, familyId);
  }

  @Post(':familyId/invitations')
  @ApiOperation({ summary: 'Invite someone to the family with a one-time code (7 days); with a phone, also sent by SMS' })
  @ApiCreatedResponse({ type: InvitationResponse })
  invite(
    @CurrentActor() actor: Actor,
    @Param('familyId', ParseUUIDPipe) familyId: string,
    @Body() body: CreateInvitationDto,
  ): Promise<InvitationResponse> {
    return this.families.invite(actor, familyId, body);
  }

  @Post(':familyId/children')
  @ApiOperation({ summary: "Create a child's profile, recording your consent to the current privacy notice (a guardian, or a parent while there is none)" })
  @ApiCreatedResponse({ type: ChildResponse })
  createChild(
    @CurrentActor() actor: Actor,
    @Param('familyId', ParseUUIDPipe) familyId: string,
    @Body() body: CreateChildDto,
  ): Promise<ChildResponse> {
    return this.children.create(actor, familyId, body);
  }

  @Get(':familyId/audit')
  @ApiOperation({ summary: "The family's audit log, newest first (the family's guardians)" })
  @ApiOkResponse({ type: AuditEventPage })
  auditLog(
    @CurrentActor() actor: Actor,
    @Param('familyId', ParseUUIDPipe) familyId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<AuditEventResponse>> {
    return this.audit.familyLog(actor, familyId, query.cursor, query.limit);
  }
}

@ApiTags('families')
@ApiBearerAuth()
@Controller('v1/invitations')
export class InvitationsController {
  constructor(private readonly families: FamiliesService) {}

  @Post(':code/accept')
  // a code burns after five wrong tries, and guessing across codes is held back per address
  @AuthRateLimit()
  @ApiOperation({ summary: 'Join a family with an invitation code' })
  @ApiCreatedResponse({ type: FamilyResponse })
  accept(@CurrentActor() actor: Actor, @Param('code') code: string): Promise<FamilyResponse> {
    return this.families.acceptInvitation(actor, code);
  }
}
