import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { Page, PageQueryDto } from '../../common/pagination';
import {
  ClassCreatedResponse,
  ClassResponse,
  ClassSummaryPage,
  ClassSummaryResponse,
  CreateClassDto,
  RosterEntryResponse,
} from './dto/class.dto';
import { SchoolService } from './school.service';

@ApiTags('school')
@ApiBearerAuth()
@Controller('v1/classes')
export class ClassesController {
  constructor(private readonly school: SchoolService) {}

  @Post()
  @ApiOperation({ summary: 'Open a class; I become its teacher and get the join code to give to the families' })
  @ApiCreatedResponse({ type: ClassCreatedResponse })
  create(@CurrentActor() actor: Actor, @Body() body: CreateClassDto): Promise<ClassCreatedResponse> {
    return this.school.createClass(actor, body);
  }

  @Get()
  @ApiOperation({ summary: "The classes I teach, and the classes my families' children are in" })
  @ApiOkResponse({ type: ClassSummaryPage })
  list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<Page<ClassSummaryResponse>> {
    return this.school.listClasses(actor, query.cursor, query.limit);
  }

  @Get(':classId')
  @ApiOperation({ summary: 'A class I teach or one of my children is in' })
  @ApiOkResponse({ type: ClassResponse })
  get(@CurrentActor() actor: Actor, @Param('classId', ParseUUIDPipe) classId: string): Promise<ClassResponse> {
    return this.school.getClass(actor, classId);
  }

  @Get(':classId/roster')
  @ApiOperation({ summary: "The class's pupils and the adults of each pupil's family (teacher only)" })
  @ApiOkResponse({ type: [RosterEntryResponse] })
  roster(@CurrentActor() actor: Actor, @Param('classId', ParseUUIDPipe) classId: string): Promise<RosterEntryResponse[]> {
    return this.school.roster(actor, classId);
  }
}
