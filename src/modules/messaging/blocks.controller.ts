import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { Page, PageQueryDto } from '../../common/pagination';
import { BlockDto, BlockResponse, ConversationPage, ConversationResponse } from './dto/conversation.dto';
import { MessagingService } from './messaging.service';
import { SafetyService } from './safety.service';

@ApiTags('children')
@ApiBearerAuth()
@Controller('v1/children/:childId')
export class ChildMessagingController {
  constructor(
    private readonly messaging: MessagingService,
    private readonly safety: SafetyService,
  ) {}

  @Get('conversations')
  @ApiOperation({ summary: "The child's conversations, for its guardians (read-only unless you are a member)" })
  @ApiOkResponse({ type: ConversationPage })
  conversations(
    @CurrentActor() actor: Actor,
    @Param('childId', ParseUUIDPipe) childId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<ConversationResponse>> {
    return this.messaging.listForChild(actor, childId, query);
  }

  @Get('blocks')
  @ApiOperation({ summary: 'Whom the child has blocked (the child, or an adult of its family)' })
  @ApiOkResponse({ type: [BlockResponse] })
  blocks(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<BlockResponse[]> {
    return this.safety.list(actor, childId);
  }

  @Post('blocks')
  @ApiOperation({ summary: "Block someone from reaching the child (the child, or an adult of its family); the child's guardians are told" })
  @ApiCreatedResponse({ type: BlockResponse })
  block(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string, @Body() body: BlockDto): Promise<BlockResponse> {
    return this.safety.block(actor, childId, body);
  }

  @Delete('blocks/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: "Lift a block (the child's guardian)" })
  @ApiNoContentResponse()
  unblock(
    @CurrentActor() actor: Actor,
    @Param('childId', ParseUUIDPipe) childId: string,
    @Param('userId', ParseUUIDPipe) userId: string,
  ): Promise<void> {
    return this.safety.unblock(actor, childId, userId);
  }
}
